/** Small pure vector helpers shared by encoders, the store and search. */

/** Returns a new unit-length copy; a zero vector stays zero rather than becoming NaN. */
export function l2Normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const out = new Float32Array(vector.length);
  if (sum === 0) return out;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * inv;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`dot: lengths differ (${a.length} vs ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  const denom = Math.sqrt(dot(a, a) * dot(b, b));
  return denom === 0 ? 0 : dot(a, b) / denom;
}

/** Weighted sum of vectors (weights may be negative), not normalised. */
export function weightedSum(parts: readonly { vector: Float32Array; weight: number }[]): Float32Array {
  const first = parts[0];
  if (!first) throw new RangeError('weightedSum: no vectors');
  const out = new Float32Array(first.vector.length);
  for (const { vector, weight } of parts) {
    if (vector.length !== out.length) throw new RangeError('weightedSum: lengths differ');
    for (let i = 0; i < out.length; i++) out[i]! += weight * vector[i]!;
  }
  return out;
}
