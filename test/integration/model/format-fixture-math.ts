/**
 * The closed-form weights of fixtures/models/formats/* (see fixtures/generate/make-format-fixtures.py),
 * recomputed here so tests know what the graphs must output. float32 rounding is replayed with
 * Math.fround where the graph rounds (the phase of the text features).
 */
import { readFileSync } from 'node:fs';

const f = Math.fround;
const FEATS = 8;

function textWeights(dim: number, quantized: boolean): number[][] {
  return Array.from({ length: FEATS }, (_, d) =>
    Array.from({ length: dim }, (_, j) => {
      const w = f(Math.cos(0.9 * d * j + 0.4 * d * d + 1.3 * j + 0.3));
      return quantized ? Math.round(w * 16) / 16 : w;
    }),
  );
}

function imageWeights(dim: number, quantized: boolean): number[][] {
  return Array.from({ length: 6 }, (_, i) =>
    Array.from({ length: dim }, (_, j) => {
      const w = f(Math.sin(0.7 * i * j + 1.1 * j + 0.3 * i * i + 0.2));
      return quantized ? Math.round(w * 16) / 16 : w;
    }),
  );
}

function normalise(v: number[]): Float32Array {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return Float32Array.from(v, (x) => x / n);
}

/** Expected L2-normalised text embedding for the real (unpadded) token ids. */
export function expectedText(ids: readonly number[], dim: number, quantized = false): Float32Array {
  const feats = new Array<number>(FEATS).fill(0);
  for (let d = 0; d < FEATS; d++) {
    const a = f(0.37 * (d + 1) + 0.11);
    const b = f(0.5 * d);
    for (const id of ids) feats[d]! += Math.sin(f(f(id * a) + b));
  }
  const w = textWeights(dim, quantized);
  return normalise(Array.from({ length: dim }, (_, j) => feats.reduce((s, x, d) => s + x * w[d]![j]!, 0)));
}

/** Expected L2-normalised image embedding for a CHW tensor. */
export function expectedImage(pixels: Float32Array, dim: number, quantized = false): Float32Array {
  const plane = pixels.length / 3;
  const g: number[] = [];
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let i = 0; i < plane; i++) s += pixels[c * plane + i]!;
    g[c] = s / plane;
  }
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let i = 0; i < plane; i++) s += pixels[c * plane + i]! ** 2;
    g[3 + c] = s / plane;
  }
  const w = imageWeights(dim, quantized);
  return normalise(Array.from({ length: dim }, (_, j) => g.reduce((s, x, i) => s + x * w[i]![j]!, 0)));
}

/** The fixture tokenizers are word-level: ids straight from the vocabulary, wrapped in begin/end. */
export function fixtureIds(tokenizerJson: string, text: string): number[] {
  const tok = JSON.parse(readFileSync(tokenizerJson, 'utf8')) as {
    model: { vocab: Record<string, number> };
    post_processor: { special_tokens: Record<string, { ids: number[] }> };
  };
  const vocab = tok.model.vocab;
  const specials = Object.values(tok.post_processor.special_tokens).map((s) => s.ids[0]!);
  const words = text.toLowerCase().match(/\w+|[^\w\s]+/g) ?? [];
  const [bos, eos] = specials.sort((x, y) => x - y);
  return [bos!, ...words.map((w) => vocab[w] ?? vocab['[UNK]'] ?? vocab['<unk>'] ?? vocab['<|unk|>']!), eos!];
}

/** Deterministic pseudo-random CHW tensor (xorshift), values roughly in CLIP's normalised range. */
export function randomTensor(size: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: 3 * size * size }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32) * 4 - 2;
  });
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
