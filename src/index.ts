/**
 * clipdex's public API: what server/, indexer/ and other programs may use.
 * Internal modules import each other by path; this barrel is for consumers only.
 */
export { EngineError, isEngineError, fromFsError, type ErrorCode } from './errors.ts';
export type * from './encoders/encoder.ts';
export type * from './store/library.types.ts';
export type * from './search/search.types.ts';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_RESULT_DEPTH } from './search/search.types.ts';
export { SearchService, type SearchServiceDeps } from './search/search.service.ts';
export { autoCutoff } from './search/score-cutoff.ts';
export { openEngine, type Engine, type EngineOptions } from './engine.ts';
export { l2Normalize, cosine, dot, weightedMix } from './vector/vector-math.ts';
export { openLibrary } from './store/open-library.ts';
export type { LibraryStore, CompactionReport } from './store/library-store.ts';
export type { GraphRecovery } from './store/modality-graphs.ts';
export { migrate, loadMigrations, type MigrationResult } from './store/migrator.ts';
export { loadModel, type LoadModelOptions } from './model/load-model.ts';
export type { LoadedClipModel, ModelDetails, GraphDetails } from './model/clip-model.ts';
export { bundledModelDir } from './model/bundled-model.ts';
export { makeThumbnail, probeImage, type ImageInfo, type ThumbnailOptions } from './image/sharp-decoder.ts';
export { describeModel, formatModelDescription, type ModelDescription } from './model/describe-model.ts';
export { SharpImagePreprocessor } from './image/image-preprocessor.ts';
