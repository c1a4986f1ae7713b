/**
 * A small fingerprint of a picture (luma area-averaged to SIZE × SIZE and chroma to half that, one
 * byte per cell) and a crop-tolerant comparison of two fingerprints. The 64-bit perceptual hash finds
 * candidates; this confirms that two candidates are the same picture and not two shots of one
 * scene: it searches the crop (scale and offset) that best maps one onto the other and measures
 * how well they then agree (Pearson correlation, so brightness and contrast changes don't count).
 */
import type { RawRgb } from './sharp-decoder.ts';

export const FINGERPRINT_SIZE = 32;
/** Bytes of a fingerprint at FINGERPRINT_SIZE: luma plus two half-resolution chroma planes. */
export const FINGERPRINT_BYTES = FINGERPRINT_SIZE * FINGERPRINT_SIZE * 1.5;

/**
 * Luma (BT.601 Y) at SIZE × SIZE, then the two chroma planes (Cb, Cr) at SIZE/2 × SIZE/2, one
 * byte per cell, row-major, of the whole picture (aspect ratio squashed to square). Chroma tells
 * a recoloured drawing, or shapes that differ from their background in hue only, apart.
 */
export function pictureFingerprint(image: RawRgb, size = FINGERPRINT_SIZE): Uint8Array {
  const { data, width, height } = image;
  const xs = coverage(width, size);
  const ys = coverage(height, size);
  const planes = [0, 1, 2].map(() => new Float64Array(height * size));
  for (let y = 0; y < height; y++) {
    for (const [x, cell, w] of xs) {
      const p = (y * width + x) * 3;
      const r = data[p]!;
      const g = data[p + 1]!;
      const b = data[p + 2]!;
      const o = y * size + cell;
      planes[0]![o]! += (0.299 * r + 0.587 * g + 0.114 * b) * w;
      planes[1]![o]! += (128 - 0.168736 * r - 0.331264 * g + 0.5 * b) * w;
      planes[2]![o]! += (128 + 0.5 * r - 0.418688 * g - 0.081312 * b) * w;
    }
  }
  const grids = planes.map((plane) => {
    const grid = new Float64Array(size * size);
    for (const [y, cell, w] of ys) {
      for (let x = 0; x < size; x++) grid[cell * size + x]! += plane[y * size + x]! * w;
    }
    return grid;
  });
  const half = size / 2;
  const out = new Uint8Array(size * size + 2 * half * half);
  const byte = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
  grids[0]!.forEach((v, i) => (out[i] = byte(v)));
  for (let c = 1; c <= 2; c++) {
    const base = size * size + (c - 1) * half * half;
    const g = grids[c]!;
    for (let y = 0; y < half; y++) {
      for (let x = 0; x < half; x++) {
        const p = 2 * y * size + 2 * x;
        out[base + y * half + x] = byte((g[p]! + g[p + 1]! + g[p + size]! + g[p + size + 1]!) / 4);
      }
    }
  }
  return out;
}

/** [source index, cell, weight] triples: each cell's weights sum to 1. */
export function coverage(length: number, cells: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  const step = length / cells;
  for (let cell = 0; cell < cells; cell++) {
    const start = cell * step;
    const end = start + step;
    for (let i = Math.floor(start); i < Math.min(length, Math.ceil(end)); i++) {
      const w = Math.min(end, i + 1) - Math.max(start, i);
      if (w > 0) out.push([i, cell, w / step]);
    }
  }
  return out;
}

export interface MatchOptions {
  /** Smallest kept fraction of a side a crop may have (default 0.8). */
  readonly minCrop?: number;
}

/** A fingerprint's planes: luma at `size`, chroma at size/2 (each weighted by the area of its cells). */
interface Planes {
  readonly size: number;
  readonly planes: readonly { readonly grid: Uint8Array; readonly n: number; readonly weight: number }[];
}

function planesOf(fp: Uint8Array): Planes {
  const size = Math.round(Math.sqrt(fp.length / 1.5));
  const half = size / 2;
  if (size * size + 2 * half * half !== fp.length || size % 4 !== 0) throw new Error('not a fingerprint');
  return {
    size,
    planes: [
      { grid: fp.subarray(0, size * size), n: size, weight: 1 },
      { grid: fp.subarray(size * size, size * size + half * half), n: half, weight: 4 },
      { grid: fp.subarray(size * size + half * half), n: half, weight: 4 },
    ],
  };
}

/** The same planes at half resolution (for the coarse search). */
function halvePlanes(p: Planes): Planes {
  return {
    size: p.size / 2,
    planes: p.planes.map(({ grid, n, weight }) => {
      const h = n / 2;
      const out = new Uint8Array(h * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < h; x++) {
          const q = 2 * y * n + 2 * x;
          out[y * h + x] = (grid[q]! + grid[q + 1]! + grid[q + n]! + grid[q + n + 1]! + 2) >> 2;
        }
      }
      return { grid: out, n: h, weight };
    }),
  };
}

interface Crop {
  readonly kx: number;
  readonly ox: number;
  readonly oy: number;
}

/**
 * How well the two pictures agree once the best crop of either maps onto the other: the
 * correlation of their fingerprints (luma and chroma together, each centred), from −1 to 1
 * (1: the same picture). `aspect` = width/height of each source, which ties a crop's two
 * scales together.
 */
export function fingerprintMatch(
  a: Uint8Array,
  aspectA: number,
  b: Uint8Array,
  aspectB: number,
  options: MatchOptions = {},
): number {
  if (a.length !== b.length) throw new Error('fingerprints of different sizes');
  const pa = planesOf(a);
  const pb = planesOf(b);
  const minCrop = options.minCrop ?? 0.8;
  return Math.max(
    bestInside(pa, aspectA, pb, aspectB, minCrop),
    bestInside(pb, aspectB, pa, aspectA, minCrop),
  );
}

/**
 * Best correlation of `inner` against a window of `outer` (inner = a crop of outer): a coarse
 * grid of crops at half resolution, then hill climbing from the best few at full resolution.
 */
function bestInside(
  outer: Planes,
  aspectOuter: number,
  inner: Planes,
  aspectInner: number,
  minCrop: number,
): number {
  // The crop keeps the pixel aspect: inner width / outer width = kx, so inner height / outer
  // height = kx · aspectOuter / aspectInner.
  const kyOf = (kx: number): number => (kx * aspectOuter) / aspectInner;
  const valid = ({ kx, ox, oy }: Crop): boolean => {
    const ky = kyOf(kx);
    const e = 1e-9;
    return (
      kx <= 1 + e &&
      kx >= minCrop - e &&
      ky <= 1 + e &&
      ky >= minCrop - e &&
      ox >= -e &&
      oy >= -e &&
      ox + kx <= 1 + e &&
      oy + ky <= 1 + e
    );
  };
  const outerHalf = halvePlanes(outer);
  const innerHalf = halvePlanes(inner);
  const starts: Array<{ r: number; crop: Crop }> = [];
  const step = 1 / outerHalf.size;
  // Whole-picture scale when the aspects differ: the largest kx that keeps ky ≤ 1.
  const kxMax = Math.min(1, aspectInner / aspectOuter);
  for (let kx = kxMax; kx >= minCrop - 1e-9; kx -= 0.04) {
    const ky = kyOf(kx);
    for (let ox = 0; ox <= 1 - kx + 1e-9; ox += step) {
      for (let oy = 0; oy <= 1 - ky + 1e-9; oy += step) {
        const crop = { kx, ox, oy };
        if (valid(crop)) starts.push({ r: correlation(outerHalf, innerHalf, crop, kyOf(kx)), crop });
      }
    }
  }
  if (starts.length === 0) return -1;
  starts.sort((p, q) => q.r - p.r);
  let best = -1;
  for (const start of starts.slice(0, 3)) {
    let crop = start.crop;
    let r = correlation(outer, inner, crop, kyOf(crop.kx));
    for (const d of [1 / outer.size, 1 / (2 * outer.size), 1 / (4 * outer.size)]) {
      for (let moved = true, guard = 0; moved && guard < 20; guard++) {
        moved = false;
        for (const [dk, dx, dy] of [
          [d, 0, 0],
          [-d, 0, 0],
          [0, d, 0],
          [0, -d, 0],
          [0, 0, d],
          [0, 0, -d],
        ] as const) {
          const next = { kx: crop.kx + dk, ox: crop.ox + dx, oy: crop.oy + dy };
          if (!valid(next)) continue;
          const r2 = correlation(outer, inner, next, kyOf(next.kx));
          if (r2 > r) {
            r = r2;
            crop = next;
            moved = true;
          }
        }
      }
    }
    if (r > best) best = r;
  }
  return best;
}

/** Correlation of `inner` with the window (crop, ky) of `outer`, sampled bilinearly. */
function correlation(outer: Planes, inner: Planes, crop: Crop, ky: number): number {
  let cov = 0;
  let varO = 0;
  let varI = 0;
  for (let p = 0; p < outer.planes.length; p++) {
    const { grid: og, n, weight } = outer.planes[p]!;
    const ig = inner.planes[p]!.grid;
    let so = 0;
    let so2 = 0;
    let si = 0;
    let si2 = 0;
    let soi = 0;
    for (let j = 0; j < n; j++) {
      const fy = (crop.oy + (ky * (j + 0.5)) / n) * n - 0.5;
      const y0 = Math.max(0, Math.min(n - 1, Math.floor(fy)));
      const y1 = Math.min(n - 1, y0 + 1);
      const wy = Math.max(0, Math.min(1, fy - y0));
      for (let i = 0; i < n; i++) {
        const fx = (crop.ox + (crop.kx * (i + 0.5)) / n) * n - 0.5;
        const x0 = Math.max(0, Math.min(n - 1, Math.floor(fx)));
        const x1 = Math.min(n - 1, x0 + 1);
        const wx = Math.max(0, Math.min(1, fx - x0));
        const top = og[y0 * n + x0]! * (1 - wx) + og[y0 * n + x1]! * wx;
        const bottom = og[y1 * n + x0]! * (1 - wx) + og[y1 * n + x1]! * wx;
        const v = top * (1 - wy) + bottom * wy;
        const u = ig[j * n + i]!;
        so += v;
        so2 += v * v;
        si += u;
        si2 += u * u;
        soi += v * u;
      }
    }
    const m = n * n;
    cov += weight * (soi - (so * si) / m);
    varO += weight * (so2 - (so * so) / m);
    varI += weight * (si2 - (si * si) / m);
  }
  if (varO <= 1e-6 || varI <= 1e-6) return varO <= 1e-6 && varI <= 1e-6 ? 1 : 0;
  return cov / Math.sqrt(varO * varI);
}

/**
 * How far apart the two pictures' colours are, wherever they sit: the mean distance between the
 * sorted chroma values (Cb and Cr; a 1-D earth mover's distance, in 8-bit levels). Two shots of
 * one scene share their palette even where things moved; a recoloured drawing does not.
 */
export function paletteDistance(a: Uint8Array, b: Uint8Array): number {
  const pa = planesOf(a);
  const pb = planesOf(b);
  let total = 0;
  for (const p of [1, 2]) {
    const x = Array.from(pa.planes[p]!.grid).sort((u, v) => u - v);
    const y = Array.from(pb.planes[p]!.grid).sort((u, v) => u - v);
    let d = 0;
    for (let i = 0; i < x.length; i++) d += Math.abs(x[i]! - y[i]!);
    total += d / x.length;
  }
  return total / 2;
}
