/**
 * The slices of the library and model the pipeline uses. Naming them keeps the pipeline honest
 * about its dependencies and lets unit tests pass small in-memory fakes.
 */
import type { ClipModel } from '../../src/model/model.types.ts';
import type { Library, TagScore } from '../../src/store/library.types.ts';

export type IndexLibrary = Pick<
  Library,
  | 'ensureRoot'
  | 'listRoots'
  | 'resolvePath'
  | 'findByUri'
  | 'findByHash'
  | 'iterateRoot'
  | 'getVector'
  | 'listFailed'
  | 'write'
  | 'startRun'
  | 'finishRun'
  | 'checkpoint'
>;

/** With a fingerprint, every batch carries its id so the store can refuse vectors of another model. */
export type IndexModel = Pick<ClipModel, 'text' | 'image' | 'preprocessor' | 'itm'> & {
  readonly fingerprint?: { readonly id: string };
  /** sha256 hex off the main thread, when a worker pool is there to do it. */
  readonly hash?: (bytes: Uint8Array) => Promise<string>;
  /** While a label set is configured: the zero-shot tags of a new image's vector. */
  readonly tag?: (vector: Float32Array) => TagScore[];
  /**
   * Keeps duplicate groups current (src/duplicates/neighbour-links.ts): `link` stores the close
   * neighbours of images just written, `linkRemaining` those of images no run linked yet (all of
   * an older library's: worth worker threads). Both return the number of k-NN queries they ran.
   */
  readonly neighbours?: {
    readonly link: (imageIds: readonly number[]) => number;
    readonly linkRemaining: () => number | Promise<number>;
  };
};
