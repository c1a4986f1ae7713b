/** What one `clipdex index` run is asked to do, after the CLI has parsed and checked it. */
import type { PathFilterOptions } from '../discovery/path-filter.ts';
import type { VideoSettings } from './plan-video.ts';

export interface IndexRequest {
  /** Folders walked recursively for images (absolute). */
  readonly folders: readonly string[];
  /** Single image files (absolute). */
  readonly imageFiles: readonly string[];
  /** Text corpora: .txt (one per line), .jsonl, .csv (absolute). */
  readonly corpora: readonly string[];
  /** Image–caption manifests: JSONL, COCO JSON, Flickr-style CSV (absolute). */
  readonly captions: readonly string[];
  readonly filter: PathFilterOptions;
  readonly batchSize: number;
  readonly textBatchSize: number;
  /** Files read + decoded at once; bounds memory together with the queue. */
  readonly concurrency: number;
  readonly retryFailed: boolean;
  readonly maxPixels: number;
  readonly maxFileBytes: number;
  /** File bytes read but not yet decoded, summed over the files in flight. */
  readonly maxBytesInFlight: number;
  readonly checkpointEveryMs: number;
  /** Videos: where ffmpeg is and how to cut shots; without it videos fail with a reason. */
  readonly video?: VideoSettings;
  readonly signal?: AbortSignal;
  /** Non-fatal problems (an unlistable folder, a bad manifest line). */
  readonly onWarning?: (message: string) => void;
}

export const INDEX_DEFAULTS = {
  batchSize: 32,
  textBatchSize: 256,
  concurrency: 4,
  retryFailed: false,
  // 100 MP: every camera photo and most panoramas; a decompression bomb declares far more.
  maxPixels: 100_000_000,
  maxFileBytes: 512 * 1024 * 1024,
  maxBytesInFlight: 1024 * 1024 * 1024,
  checkpointEveryMs: 30_000,
} as const;
