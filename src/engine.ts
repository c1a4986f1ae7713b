/**
 * The engine: a loaded model plus an open library and the search service over both.
 *
 * @example
 * const engine = await openEngine({ libraryDir: './photos.clipdex', modelDir: bundledModelDir() });
 * try {
 *   const page = await engine.search.search({ target: 'image', terms: [{ text: 'a red bicycle' }] });
 * } finally {
 *   await engine.close();
 * }
 */
import type { ClipModel } from './model/model.types.ts';
import type { DeviceRequest, ImageEncoder, TextEncoder } from './encoders/encoder.ts';
import { loadModel } from './model/load-model.ts';
import type { ThreadSettings } from './model/tower-threads.ts';
import { SearchService } from './search/search.service.ts';
import type { KeywordSearcher, Library } from './store/library.types.ts';
import { openLibrary } from './store/open-library.ts';

export interface EngineOptions {
  readonly libraryDir: string;
  /** A model package directory (already resolved from a name by the caller). */
  readonly modelDir: string;
  readonly device?: DeviceRequest;
  /** ONNX Runtime intra-op threads for both towers; without it, `calibration` decides. */
  readonly threads?: number;
  /** Time each tower's thread count (cached); without it and without `threads`: every available CPU. */
  readonly calibration?: ThreadSettings['calibration'];
  /** Open the library without the write lock (search only). */
  readonly readOnly?: boolean;
  /** Refuse query images above this many pixels. */
  readonly maxQueryPixels?: number;
  /**
   * Wraps the model's towers for queries (the server: micro-batching, a cache of recent text queries).
   * The one search service is built over what this returns; default: the model's own towers.
   */
  readonly queryEncoders?: (model: ClipModel, library: Library) => QueryEncoders;
  /**
   * Run the keyword leg of searches on a worker thread with its own read-only connection, while
   * the main thread encodes the query (the server: many queries; a one-shot search runs it inline).
   */
  readonly keywordWorker?: boolean;
}

/** The towers queries go through (possibly wrapped); the indexer uses the model's own. */
export interface QueryEncoders {
  readonly text: TextEncoder;
  readonly image: ImageEncoder;
}

export interface Engine {
  readonly model: ClipModel;
  readonly library: Library;
  readonly search: SearchService;
  /** The towers `search` encodes queries with (the model's, or the `queryEncoders` wrappers). */
  readonly encoders: QueryEncoders;
  /** Closes the keyword worker (if any), the library (saving its index) and then the model, in that order. */
  close(): Promise<void>;
}

export async function openEngine(options: EngineOptions): Promise<Engine> {
  const model = await loadModel(options.modelDir, {
    ...(options.device === undefined ? {} : { device: options.device }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.calibration === undefined ? {} : { calibration: options.calibration }),
  });
  let library: Library;
  try {
    library = await openLibrary(options.libraryDir, {
      fingerprint: model.fingerprint,
      readOnly: options.readOnly ?? false,
    });
  } catch (error) {
    await model.close();
    throw error;
  }
  let encoders: QueryEncoders;
  let keywordWorker: KeywordSearcher | undefined;
  try {
    encoders = options.queryEncoders?.(model, library) ?? { text: model.text, image: model.image };
    if (options.keywordWorker) keywordWorker = library.openKeywordWorker?.();
  } catch (error) {
    await library.close();
    await model.close();
    throw error;
  }
  const search = new SearchService({
    text: encoders.text,
    image: encoders.image,
    preprocessor: model.preprocessor,
    library,
    ...(model.itm ? { itm: model.itm } : {}),
    modelName: model.fingerprint.name,
    ...(keywordWorker ? { keywordWorker } : {}),
    ...(options.maxQueryPixels === undefined ? {} : { imageLimits: { maxPixels: options.maxQueryPixels } }),
  });
  let closed = false;
  return {
    model,
    library,
    search,
    encoders,
    async close() {
      if (closed) return;
      closed = true;
      try {
        try {
          await keywordWorker?.close();
        } finally {
          await library.close();
        }
      } finally {
        await model.close();
      }
    },
  };
}
