/**
 * Pillow's resampling (libImaging/Resample.c), reimplemented so our pixels match what CLIP's
 * Python pipelines see. sharp's cubic downscale is close, but its upscale uses another kernel and
 * grid (a step edge came out 0,65,190 vs Pillow's 16,128,239), so small images and squash-to-square
 * drifted past cos 0.9999. Same math as Pillow: separable, horizontal pass first, fixed-point
 * weights with 22 fractional bits, uint8 clamp between passes. Only the output window that is
 * kept (the centre crop) is computed.
 */
import type { RawRgb } from './sharp-decoder.ts';

export type ResampleFilter = 'bicubic' | 'bilinear' | 'nearest';

const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

const FILTERS: Record<
  Exclude<ResampleFilter, 'nearest'>,
  { support: number; weight: (x: number) => number }
> = {
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
};

interface Coefficients {
  readonly ksize: number;
  /** First source index per output index. */
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** Fixed-point weights, ksize per output index. */
  readonly weights: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for output indices [from, from + n). */
function coefficients(
  inSize: number,
  outSize: number,
  from: number,
  n: number,
  filter: ResampleFilter,
): Coefficients {
  const scale = inSize / outSize;
  if (filter === 'nearest') {
    const start = new Int32Array(n);
    for (let i = 0; i < n; i++) start[i] = Math.min(inSize - 1, Math.floor((from + i + 0.5) * scale));
    return { ksize: 1, start, count: new Int32Array(n).fill(1), weights: new Int32Array(n).fill(ONE) };
  }
  const { support: baseSupport, weight } = FILTERS[filter];
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let i = 0; i < n; i++) {
    const center = (from + i + 0.5) * scale;
    // (int)(v + 0.5) in C truncates toward zero; both values here are > -0.5 so trunc is right.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = weight((x + xmin - center + 0.5) * ss);
      sum += k[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x]! / sum : k[x]!;
      weights[i * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[i] = xmin;
    count[i] = xmax;
  }
  return { ksize, start, count, weights };
}

function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes `image` to width × height exactly as Pillow's Image.resize would, and returns only the
 * window [left, left + cropWidth) × [top, top + cropHeight) of that result.
 */
export function pilResizeCrop(
  image: RawRgb,
  width: number,
  height: number,
  filter: ResampleFilter,
  window: { left: number; top: number; width: number; height: number } = { left: 0, top: 0, width, height },
): RawRgb {
  const needH = width !== image.width;
  const needV = height !== image.height;
  const cols = needH ? coefficients(image.width, width, window.left, window.width, filter) : undefined;
  const rows = needV ? coefficients(image.height, height, window.top, window.height, filter) : undefined;

  // Source rows the vertical pass will read (or the window's rows when there is no vertical pass).
  const firstRow = rows ? rows.start[0]! : window.top;
  const lastRow = rows
    ? rows.start[window.height - 1]! + rows.count[window.height - 1]!
    : window.top + window.height;
  const tempHeight = lastRow - firstRow;

  // Horizontal pass into a uint8 buffer, as Pillow does (the clamp between passes matters).
  const src = image.data;
  const temp = new Uint8Array(window.width * tempHeight * 3);
  for (let y = 0; y < tempHeight; y++) {
    const rowBase = (y + firstRow) * image.width * 3;
    const outBase = y * window.width * 3;
    for (let x = 0; x < window.width; x++) {
      if (!cols) {
        const s = rowBase + (x + window.left) * 3;
        temp[outBase + x * 3] = src[s]!;
        temp[outBase + x * 3 + 1] = src[s + 1]!;
        temp[outBase + x * 3 + 2] = src[s + 2]!;
        continue;
      }
      const xmin = cols.start[x]!;
      const n = cols.count[x]!;
      const kBase = x * cols.ksize;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      // Sums stay inside int32 (255 · 2^22 · Σ|w| < 2^31), so `| 0` keeps V8 on integer paths.
      let s = rowBase + xmin * 3;
      for (let i = 0; i < n; i++, s += 3) {
        const w = cols.weights[kBase + i]!;
        r = (r + src[s]! * w) | 0;
        g = (g + src[s + 1]! * w) | 0;
        b = (b + src[s + 2]! * w) | 0;
      }
      temp[outBase + x * 3] = clip8(r);
      temp[outBase + x * 3 + 1] = clip8(g);
      temp[outBase + x * 3 + 2] = clip8(b);
    }
  }
  if (!rows) return { data: temp, width: window.width, height: window.height };

  const out = new Uint8Array(window.width * window.height * 3);
  const stride = window.width * 3;
  for (let y = 0; y < window.height; y++) {
    const ymin = rows.start[y]! - firstRow;
    const n = rows.count[y]!;
    const kBase = y * rows.ksize;
    for (let x = 0; x < stride; x++) {
      let sum = HALF;
      for (let i = 0, t = ymin * stride + x; i < n; i++, t += stride) {
        sum = (sum + temp[t]! * rows.weights[kBase + i]!) | 0;
      }
      out[y * stride + x] = clip8(sum);
    }
  }
  return { data: out, width: window.width, height: window.height };
}
