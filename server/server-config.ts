/**
 * Everything the server can be told, parsed once at the edge (CLI flags) and passed down frozen.
 * Defaults are the safe ones: loopback only, no CORS, bounded uploads, pixels and time.
 */
export interface ServerConfig {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Required by every endpoint that changes the library (header `x-api-key` or `Authorization: Bearer`). */
  readonly apiKey: string | undefined;
  /** Origin allowed to call the API from another site; undefined = no CORS headers at all. */
  readonly corsOrigin: string | undefined;
  /** Largest accepted upload (image bytes or JSON body carrying base64 images). */
  readonly maxUploadBytes: number;
  /** Largest decoded image accepted as a query (decompression-bomb guard). */
  readonly maxPixels: number;
  /** A request that takes longer gets 503 TIMEOUT. */
  readonly requestTimeoutMs: number;
  /** Newly committed items (a concurrent `clipdex index`) are looked for at most this often. */
  readonly refreshIntervalMs: number;
  /** Micro-batching of concurrent query encodes; window 0 with batch 1 turns it off. */
  readonly microBatch: { readonly enabled: boolean; readonly windowMs: number; readonly maxBatch: number };
  /** Recent text queries whose vectors are kept (paging re-asks the same words); 0 = off. */
  readonly queryCacheSize: number;
  /** Memory for cached thumbnails. */
  readonly thumbnailCacheBytes: number;
  /** Log one line per request to this sink (undefined = quiet). */
  readonly log: ((line: string) => void) | undefined;
}

export const defaultServerConfig: ServerConfig = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  apiKey: undefined,
  corsOrigin: undefined,
  maxUploadBytes: 20 * 1024 * 1024,
  maxPixels: 100_000_000,
  requestTimeoutMs: 30_000,
  refreshIntervalMs: 1_000,
  microBatch: Object.freeze({ enabled: true, windowMs: 3, maxBatch: 32 }),
  queryCacheSize: 1024,
  thumbnailCacheBytes: 64 * 1024 * 1024,
  log: undefined,
});

/** Defaults overridden by whatever is given; undefined means "use the default". */
export function serverConfig(
  overrides: { [K in keyof ServerConfig]?: ServerConfig[K] | undefined } = {},
): ServerConfig {
  const merged = { ...defaultServerConfig };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return Object.freeze(merged);
}
