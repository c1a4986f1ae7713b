/**
 * Synthetic embedding generators for the vector benches (store-scale, intrinsic-dim).
 *
 * - `gaussian` (the benches' original data, unchanged: same seeds, same draws): `clusters` unit
 *   centres, each point = centre + isotropic Gaussian noise of norm about `noise` over all `dim`
 *   axes, normalised. Inside a cluster every direction is noise, so the local intrinsic
 *   dimensionality is close to `dim` and a query's nearest neighbours are near-ties: HNSW's worst
 *   case, and far from real embeddings (bench/intrinsic-dim.ts measures both).
 * - `lowrank`: the same centres, but each cluster spreads along its own `rank` random directions
 *   (variances falling as 1/i, like an embedding's spectrum), plus a small isotropic noise
 *   (`floor`, norm over all axes). Its local intrinsic dimensionality is set by `rank`, and its
 *   parameters were chosen so that its LID and neighbour-distance contrast match the bundled
 *   model's embeddings (bench/intrinsic-dim.ts prints both).
 */
import { gaussian as normalOf, normaliseInto, rng } from './synthetic-random.ts';

export type GeneratorName = 'gaussian' | 'lowrank';
export const GENERATORS: readonly GeneratorName[] = ['gaussian', 'lowrank'];

export interface GeneratorOptions {
  readonly dim: number;
  readonly clusters: number;
  /** gaussian: norm of the isotropic noise added to a unit centre (2: cosine ≈ 0.2 inside a cluster). */
  readonly noise?: number;
  /** lowrank: directions each cluster spreads along. */
  readonly rank?: number;
  /** lowrank: norm of the spread along those directions. */
  readonly spread?: number;
  /** lowrank: norm of the isotropic noise floor. */
  readonly floor?: number;
}

export interface Generator {
  readonly name: GeneratorName;
  readonly dim: number;
  /** `count` unit vectors, row-major; the same seed gives the same rows. */
  sample(count: number, seed: number): Float32Array;
  /** One line with the parameters, for bench output. */
  readonly description: string;
}

/** The lowrank parameters that match the bundled model's measured LID (see intrinsic-dim). */
export const LOWRANK_DEFAULTS = { rank: 12, spread: 1.2, floor: 0.15 } as const;

function makeCentres(dim: number, clusters: number): Float32Array {
  const normal = normalOf(rng(1));
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = normal();
  for (let c = 0; c < clusters; c++) normaliseInto(centres, c * dim, dim);
  return centres;
}

export function makeGenerator(name: GeneratorName, options: GeneratorOptions): Generator {
  const { dim, clusters } = options;
  const centres = makeCentres(dim, clusters);
  if (name === 'gaussian') {
    const noise = options.noise ?? 2;
    return {
      name,
      dim,
      description: `gaussian: ${clusters} clusters, isotropic noise ${noise}`,
      sample(count, seed) {
        const random = rng(seed);
        const normal = normalOf(random);
        const out = new Float32Array(count * dim);
        const sigma = noise / Math.sqrt(dim);
        for (let p = 0; p < count; p++) {
          const c = Math.floor(random() * clusters) * dim;
          for (let i = 0; i < dim; i++) out[p * dim + i] = centres[c + i]! + sigma * normal();
          normaliseInto(out, p * dim, dim);
        }
        return out;
      },
    };
  }
  const rank = options.rank ?? LOWRANK_DEFAULTS.rank;
  const spread = options.spread ?? LOWRANK_DEFAULTS.spread;
  const floor = options.floor ?? LOWRANK_DEFAULTS.floor;
  // Per cluster, `rank` random unit directions (nearly orthogonal in high dimension), each
  // pre-scaled by its standard deviation: variance ∝ 1/i, total norm about `spread`.
  const weights = Array.from({ length: rank }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const basis = new Float32Array(clusters * rank * dim);
  const normal = normalOf(rng(11));
  for (let v = 0; v < clusters * rank; v++) {
    for (let i = 0; i < dim; i++) basis[v * dim + i] = normal();
    normaliseInto(basis, v * dim, dim);
    const scale = spread * Math.sqrt(weights[v % rank]! / total);
    for (let i = 0; i < dim; i++) basis[v * dim + i]! *= scale;
  }
  return {
    name,
    dim,
    description: `lowrank: ${clusters} clusters, rank ${rank}, spread ${spread}, noise floor ${floor}`,
    sample(count, seed) {
      const random = rng(seed);
      const gauss = normalOf(random);
      const out = new Float32Array(count * dim);
      const sigma = floor / Math.sqrt(dim);
      const coef = new Float64Array(rank);
      for (let p = 0; p < count; p++) {
        const c = Math.floor(random() * clusters);
        const row = p * dim;
        for (let j = 0; j < rank; j++) coef[j] = gauss();
        for (let i = 0; i < dim; i++) out[row + i] = centres[c * dim + i]! + sigma * gauss();
        for (let j = 0; j < rank; j++) {
          const b = (c * rank + j) * dim;
          const a = coef[j]!;
          for (let i = 0; i < dim; i++) out[row + i]! += a * basis[b + i]!;
        }
        normaliseInto(out, row, dim);
      }
      return out;
    },
  };
}
