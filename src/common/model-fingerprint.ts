/**
 * Plain data that crosses the model ↔ store boundary: what a library records about the model that made
 * its vectors. Neutral ground: src/model writes it, src/store keeps and compares it, neither imports the other.
 */
import type { PreprocessSpec } from '../image/preprocess.types.ts';

export type ModelLayout = 'huggingface' | 'openclip' | 'clip-as-service';

/**
 * What a library records about the model that made its vectors. Two fingerprints with the
 * same `id` produce interchangeable vectors.
 */
export interface ModelFingerprint {
  /** Stable hash over layout, dim, context length, file hashes and preprocessing (not the name: a renamed copy keeps its id). */
  readonly id: string;
  /** Human name: the package directory name or the hub repo. */
  readonly name: string;
  readonly layout: ModelLayout;
  readonly dim: number;
  /** Relative path inside the package → sha256 hex of the files that define the embeddings. */
  readonly files: Readonly<Record<string, string>>;
  readonly preprocess: PreprocessSpec;
}
