/**
 * What the store needs from an approximate nearest-neighbour index. Labels are item ids.
 * Implemented by hnsw-index.ts; kept small so another engine (or a remote shard) can replace it.
 */
export interface VectorIndexHit {
  readonly label: number;
  /** Cosine distance (1 − cosine similarity). */
  readonly distance: number;
}

export interface VectorIndex {
  readonly dim: number;
  /** Live (not deleted) labels. */
  readonly size: number;
  /** Slots in use, including deleted ones (compaction reclaims them). */
  readonly slots: number;
  readonly capacity: number;
  /** Adds or replaces the vector for `label` (reviving it if deleted); grows capacity as needed. */
  add(label: number, vector: Float32Array): void;
  /** Hides `label` from searches. Idempotent; unknown labels are ignored. */
  remove(label: number): void;
  has(label: number): boolean;
  /** Up to k nearest live labels, nearest first. `filter` returns false to skip a label. */
  search(query: Float32Array, k: number, ef: number, filter?: (label: number) => boolean): VectorIndexHit[];
  /** Deleted labels still occupying slots (persisted beside the graph). */
  deletedLabels(): number[];
  /** Writes the graph to `file` (not atomic: callers write to a temp file and rename). */
  save(file: string): Promise<void>;
}
