/** Duplicate groups in three tiers, kept apart: exact bytes, the same picture, similar shots. */

export type DuplicateTier = 'exact' | 'near' | 'similar';
export const DUPLICATE_TIERS: readonly DuplicateTier[] = ['exact', 'near', 'similar'];

export interface DuplicateThresholds {
  /** Near: at most this many of the 64 perceptual-hash bits differ … */
  readonly nearMaxDistance: number;
  /** … and the embeddings agree at least this much (cosine), confirming it is the same picture. */
  readonly nearMinCosine: number;
  /**
   * … and, where both have a fingerprint, the best crop of one maps onto the other with at least
   * this correlation (src/image/fingerprint.ts): the same picture, not another shot of the scene.
   */
  readonly nearMinMatch: number;
  /** Similar (never called a duplicate): embedding cosine at least this … */
  readonly similarMinCosine: number;
  /**
   * … and, where both have a fingerprint, colours at most this far apart (src/image/fingerprint.ts
   * paletteDistance, in 8-bit chroma levels): another shot of the scene, not a recoloured look-alike.
   */
  readonly similarMaxPalette: number;
  /** Neighbours asked of the vector index per image. */
  readonly neighbours: number;
}

export interface DuplicateMember {
  readonly id: number;
  readonly uri: string;
  readonly width: number | null;
  readonly height: number | null;
  readonly size: number | null;
  /**
   * To the kept item: 0 for exact; differing perceptual-hash bits for near; 1 − cosine for
   * similar. The kept item itself has 0.
   */
  readonly distance: number;
}

export interface DuplicateGroup {
  readonly tier: DuplicateTier;
  /** Id of the item to keep. */
  readonly keep: number;
  /** Why that one. */
  readonly reason: string;
  /** Kept item first. In near and similar groups, a tighter group appears as its kept item only. */
  readonly items: readonly DuplicateMember[];
}

export interface DuplicateReport {
  readonly groups: readonly DuplicateGroup[];
  /** Indexed images that have no perceptual hash (failed to decode, or indexed before hashing existed): they can only be exact or similar. */
  readonly withoutHash: number;
  /** Indexed images without a fingerprint (indexed before fingerprints existed): their near pairs rest on hash and embedding alone. */
  readonly withoutFingerprint: number;
  /** k-NN queries this scan ran (0 when stored neighbour pairs covered every image). */
  readonly knnQueries: number;
  readonly images: number;
}
