/** What the HTTP app is built from: everything injected, nothing reached for. */
import type { ExecutionProviderName, TextEncoder } from '../src/encoders/encoder.ts';
import type { ModelFingerprint } from '../src/common/model-fingerprint.ts';
import type { SearchService } from '../src/search/search.service.ts';
import type { Library } from '../src/store/library.types.ts';
import type { ServerConfig } from './server-config.ts';
import type { ServerMetrics } from './server-metrics.ts';
import type { MakeThumbnail, ThumbnailCache } from './thumbnail-cache.ts';

export interface AppDeps {
  readonly config: ServerConfig;
  readonly library: Library;
  /** Built over micro-batched encoders and the server's pixel limit. */
  readonly search: Pick<SearchService, 'search' | 'embedTerms'>;
  /** Micro-batched text tower, for classification labels. */
  readonly text: TextEncoder;
  readonly model: {
    readonly fingerprint: ModelFingerprint;
    readonly executionProvider: ExecutionProviderName;
  };
  readonly makeThumbnail: MakeThumbnail;
  readonly thumbnails: ThumbnailCache;
  readonly metrics: ServerMetrics;
  readonly startedAt: number;
}
