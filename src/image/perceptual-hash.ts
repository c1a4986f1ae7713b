/**
 * A 64-bit DCT perceptual hash (pHash) of decoded RGB pixels: luminance, box-averaged to 32×32,
 * 2-D DCT-II, the 8×8 lowest frequencies, one bit per coefficient (above the median of the 63
 * AC terms or not). Re-encoding, resizing and small colour changes move few bits; different
 * pictures differ in about half. Computed from the pixels the decoder already produced, so
 * indexing pays no second decode (sharp-phash decodes the file again; see bench/duplicates-eval.ts).
 */
import type { RawRgb } from './sharp-decoder.ts';

const N = 32;
const K = 8;
/** cos((2x + 1) u π / 2N) for u < K, x < N. */
const COS = Float64Array.from({ length: K * N }, (_, i) =>
  Math.cos(((2 * (i % N) + 1) * Math.floor(i / N) * Math.PI) / (2 * N)),
);

/** 16 lowercase hex digits. */
export function perceptualHash(image: RawRgb): string {
  const { data, width, height } = image;
  // Area-average to N × N (exact pixel coverage, so no aliasing whatever the source size).
  const xs = coverage(width);
  const ys = coverage(height);
  const narrow = new Float64Array(height * N);
  for (let y = 0; y < height; y++) {
    for (const [x, cell, w] of xs) {
      const p = (y * width + x) * 3;
      narrow[y * N + cell]! += (0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!) * w;
    }
  }
  const grey = new Float64Array(N * N);
  for (const [y, cell, w] of ys) {
    for (let x = 0; x < N; x++) grey[cell * N + x]! += narrow[y * N + x]! * w;
  }
  // Separable DCT, low frequencies only: rows (N × K), then columns (K × K).
  const rows = new Float64Array(N * K);
  for (let y = 0; y < N; y++) {
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += grey[y * N + x]! * COS[u * N + x]!;
      rows[y * K + u] = s;
    }
  }
  const coef = new Float64Array(K * K);
  for (let v = 0; v < K; v++) {
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[y * K + u]! * COS[v * N + y]!;
      coef[v * K + u] = s;
    }
  }
  const ac = Array.from(coef.subarray(1)).sort((a, b) => a - b);
  const median = (ac[31]! + ac[32]!) / 2;
  let hex = '';
  for (let nibble = 0; nibble < 16; nibble++) {
    let value = 0;
    for (let b = 0; b < 4; b++) value = (value << 1) | (coef[nibble * 4 + b]! > median ? 1 : 0);
    hex += value.toString(16);
  }
  return hex;
}

/** [source index, cell, weight] triples: each cell's weights sum to 1. */
function coverage(size: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  const step = size / N;
  for (let cell = 0; cell < N; cell++) {
    const start = cell * step;
    const end = start + step;
    for (let i = Math.floor(start); i < Math.min(size, Math.ceil(end)); i++) {
      const w = Math.min(end, i + 1) - Math.max(start, i);
      if (w > 0) out.push([i, cell, w / step]);
    }
  }
  return out;
}

const POPCOUNT_4 = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/** Differing bits of two hashes of equal length (hex). */
export function hammingDistance(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += POPCOUNT_4[parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16)]!;
  return d;
}

/** A hash as two 32-bit halves, for fast comparison of many pairs. */
export function hashWords(hex: string): [number, number] {
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
