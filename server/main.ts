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
import type { QueryEncoders } from '../src/engine.ts';
import type { SearchService } from '../src/search/search.service.ts';
import type { Library } from '../src/store/library.types.ts';
import { createApp } from './app.ts';
import { answerClientErrors } from './client-error.ts';
import { listenError } from './listen-error.ts';
import { cachedTextEncoder } from './query-cache.ts';
import type { AppDeps } from './app-deps.ts';
import type { ServerConfig } from './server-config.ts';
import { ServerMetrics } from './server-metrics.ts';
import { ThumbnailCache, type MakeThumbnail } from './thumbnail-cache.ts';

/** The open engine the server serves: its one search service, built over the server's query encoders. */
export interface ServedEngine {
  readonly model: ClipModel;
  readonly library: Library;
  readonly search: SearchService;
  readonly encoders: QueryEncoders;
}

export interface ServerParts {
  readonly engine: ServedEngine;
  /** The metrics the query encoders report batches to (from `serverEncoders`). */
  readonly metrics: ServerMetrics;
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
 * The server's query encoders, for `openEngine({ queryEncoders })`: micro-batched across concurrent
 * requests (when enabled) and, for text, a cache of recent queries. The engine builds its one search
 * service over them; `metrics()` is the registry their batches report to (there once the engine is open).
 */
export function serverEncoders(config: ServerConfig): {
  queryEncoders: (model: ClipModel, library: Library) => QueryEncoders;
  metrics(): ServerMetrics;
} {
  let metrics: ServerMetrics | undefined;
  return {
    queryEncoders(model, library) {
      const m = (metrics = new ServerMetrics(library));
      const { enabled, windowMs, maxBatch } = config.microBatch;
      const batchedText = enabled
        ? microBatchTextEncoder(model.text, { windowMs, maxBatch, onBatch: m.onBatch('text') })
        : model.text;
      const image = enabled
        ? microBatchImageEncoder(model.image, { windowMs, maxBatch, onBatch: m.onBatch('image') })
        : model.image;
      return { text: cachedTextEncoder(batchedText, config.queryCacheSize), image };
    },
    metrics() {
      if (!metrics) throw new Error('serverEncoders: open the engine with these queryEncoders first');
      return metrics;
    },
  };
}

/** The app's dependencies, from the open engine: nothing is built twice. */
export function buildDeps(parts: ServerParts, config: ServerConfig): AppDeps {
  return {
    config,
    library: parts.engine.library,
    search: parts.engine.search,
    text: parts.engine.encoders.text,
    model: parts.engine.model,
    makeThumbnail: parts.makeThumbnail,
    thumbnails: new ThumbnailCache(config.thumbnailCacheBytes),
    metrics: parts.metrics,
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
