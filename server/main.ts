/**
 * Starting and stopping the HTTP server around an already-open model and library. The caller
 * (the `serve` command, a test) opens the engine and closes it after `stop()`: whoever opens
 * closes. Stopping refuses new connections, lets in-flight requests finish for a grace period,
 * then cuts what is left.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { ClipModel } from '../src/model/model.types.ts';
import { microBatchImageEncoder, microBatchTextEncoder } from '../src/encoders/micro-batcher.ts';
import { SearchService } from '../src/search/search.service.ts';
import type { Library } from '../src/store/library.types.ts';
import { createApp } from './app.ts';
import { answerClientErrors } from './client-error.ts';
import { listenError } from './listen-error.ts';
import { cachedTextEncoder } from './query-cache.ts';
import type { AppDeps } from './app-deps.ts';
import type { ServerConfig } from './server-config.ts';
import { ServerMetrics } from './server-metrics.ts';
import { ThumbnailCache, type MakeThumbnail } from './thumbnail-cache.ts';

export interface ServerParts {
  readonly model: ClipModel;
  readonly library: Library;
  readonly makeThumbnail: MakeThumbnail;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly port: number;
  readonly app: Express;
  /** Stop accepting, finish in-flight requests (up to graceMs), then close the rest. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Wires the app's dependencies: micro-batched encoders (when enabled) and a cache of recent text
 * queries under one search service.
 */
export function buildDeps(parts: ServerParts, config: ServerConfig): AppDeps {
  const metrics = new ServerMetrics(parts.library);
  const { enabled, windowMs, maxBatch } = config.microBatch;
  const batchedText = enabled
    ? microBatchTextEncoder(parts.model.text, { windowMs, maxBatch, onBatch: metrics.onBatch('text') })
    : parts.model.text;
  const text = cachedTextEncoder(batchedText, config.queryCacheSize);
  const image = enabled
    ? microBatchImageEncoder(parts.model.image, { windowMs, maxBatch, onBatch: metrics.onBatch('image') })
    : parts.model.image;
  const search = new SearchService({
    text,
    image,
    preprocessor: parts.model.preprocessor,
    library: parts.library,
    imageLimits: { maxPixels: config.maxPixels },
    ...(parts.model.itm ? { itm: parts.model.itm } : {}),
    modelName: parts.model.fingerprint.name,
  });
  return {
    config,
    library: parts.library,
    search,
    text,
    model: parts.model,
    makeThumbnail: parts.makeThumbnail,
    thumbnails: new ThumbnailCache(config.thumbnailCacheBytes),
    metrics,
    startedAt: Date.now(),
  };
}

export async function startServer(parts: ServerParts, config: ServerConfig): Promise<RunningServer> {
  const app = createApp(buildDeps(parts, config));
  const server: Server = app.listen(config.port, config.host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw error;
      }),
    ]);
  } catch (error) {
    throw listenError(error, config.host, config.port);
  }
  answerClientErrors(server);
  // Slow-loris guards: a client must send its headers and body in bounded time.
  server.headersTimeout = 20_000;
  server.requestTimeout = config.requestTimeoutMs + 5_000;
  server.keepAliveTimeout = 5_000;
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let stopping: Promise<void> | undefined;
  // Responses still to be sent when stopping begins end their connection (`Connection: close`),
  // so the server closes as soon as they are answered instead of waiting out the grace period.
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
  });
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/`,
    port,
    app,
    stop(graceMs = 5_000) {
      stopping ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
        for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
      });
      return stopping;
    },
  };
}
