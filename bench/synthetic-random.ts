/**
 * Seeded randomness for the synthetic-vector benches (vectors, store-scale, hybrid-latency), so
 * every bench draws the same clustered data for the same seed.
 */

/** mulberry32: a small, fast, seedable uniform generator in [0, 1). */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from a uniform generator. */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** L2-normalises the `dim` values of `out` starting at `offset`, in place. */
export function normaliseInto(out: Float32Array, offset: number, dim: number): void {
  let sum = 0;
  for (let i = 0; i < dim; i++) {
    sum += out[offset + i]! ** 2;
  }
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < dim; i++) {
    out[offset + i]! *= inv;
  }
}
