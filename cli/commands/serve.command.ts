/**
 * `clipdex serve --library <dir>`: the HTTP API and the search page over one library. The
 * library is opened read-only, so a `clipdex index` can keep adding to it meanwhile; new items
 * become searchable within a second. Stops cleanly on Ctrl-C: no new connections, in-flight
 * requests finish, then the library and model close.
 */
import path from 'node:path';
import { openEngine } from '../../src/engine.ts';
import { EngineError } from '../../src/errors.ts';
import { makeThumbnail } from '../../src/image/sharp-decoder.ts';
import { serverEncoders, startServer, type RunningServer } from '../../server/main.ts';
import { defaultServerConfig, serverConfig } from '../../server/server-config.ts';
import { writeLine, type CommandContext } from '../command-context.ts';
import { deviceOf, positiveInt, threadSettings, type ModelArgs } from '../cli-support/open-model.ts';
import { withLibraryModel } from '../cli-support/library-model.ts';

export interface ServeArgs extends ModelArgs {
  readonly library?: string;
  readonly port?: string | number;
  readonly host?: string;
  readonly apiKey?: string;
  readonly cors?: string;
  readonly maxUploadMb?: string;
  readonly maxPixels?: string;
  readonly batching?: boolean;
  readonly batchWindowMs?: string;
  readonly queryCache?: string;
  readonly log?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function windowOf(raw: string): number {
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0 || ms > 1000) {
    throw new EngineError('INVALID_INPUT', `--batch-window-ms must be 0-1000 (got "${raw}")`);
  }
  return ms;
}

function cacheSizeOf(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) {
    throw new EngineError('INVALID_INPUT', `--query-cache must be 0-1000000 (got "${raw}")`);
  }
  return n;
}

function portOf(raw: string | number | undefined): number {
  const port = Number(raw ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EngineError('INVALID_INPUT', `--port must be 0-65535 (got "${raw}")`);
  }
  return port;
}

/** Serves until the command's signal aborts (Ctrl-C / SIGTERM). */
export async function run(
  args: ServeArgs,
  ctx: CommandContext,
  onListening?: (server: RunningServer) => void,
): Promise<void> {
  if (!args.library) throw new EngineError('INVALID_INPUT', '--library <dir> is required');
  const libraryDir = path.resolve(ctx.cwd, args.library);
  const threads = threadSettings(args, ctx);
  const config = serverConfig({
    host: args.host ?? '127.0.0.1',
    port: portOf(args.port),
    apiKey: args.apiKey ?? ctx.env['CLIPDEX_API_KEY'],
    corsOrigin: args.cors,
    maxUploadBytes:
      args.maxUploadMb === undefined
        ? undefined
        : positiveInt(args.maxUploadMb, '--max-upload-mb', 1024) * 1024 * 1024,
    maxPixels:
      args.maxPixels === undefined ? undefined : positiveInt(args.maxPixels, '--max-pixels', 1_000_000_000),
    microBatch: {
      enabled: args.batching !== false,
      windowMs:
        args.batchWindowMs === undefined
          ? defaultServerConfig.microBatch.windowMs
          : windowOf(args.batchWindowMs),
      maxBatch: 32,
    },
    queryCacheSize: args.queryCache === undefined ? undefined : cacheSizeOf(args.queryCache),
    log: args.log ? (line) => writeLine(ctx.stderr, line) : undefined,
  });

  // One search service: the engine builds it over the server's query encoders (micro-batching, query cache).
  const served = serverEncoders(config);
  const open = (modelDir: string) =>
    openEngine({
      libraryDir,
      modelDir,
      device: deviceOf(args),
      readOnly: true,
      ...threads,
      maxQueryPixels: config.maxPixels,
      queryEncoders: served.queryEncoders,
      keywordWorker: true,
    });
  // Without --model, the model the library remembers (where it was loaded from, or pulled).
  const engine = await withLibraryModel(args, ctx, libraryDir, open);
  try {
    const server = await startServer(
      {
        engine,
        metrics: served.metrics(),
        makeThumbnail: async (bytes, maxSide) => ({
          bytes: await makeThumbnail(bytes, maxSide),
          contentType: 'image/jpeg',
        }),
      },
      config,
    );
    const images = engine.library.counts('image').indexed;
    const texts = engine.library.counts('text').indexed;
    writeLine(ctx.stdout, `clipdex is serving ${libraryDir} (${images} images, ${texts} texts)`);
    writeLine(ctx.stdout, `  model ${engine.model.fingerprint.name} on ${engine.model.executionProvider}`);
    writeLine(ctx.stdout, `  open ${server.url}   (API: ${server.url}openapi.json)   Ctrl-C to stop`);
    if (!LOOPBACK.has(config.host)) {
      writeLine(
        ctx.stderr,
        `warning: listening on ${config.host}: anyone who can reach this machine can search the library and fetch its files`,
      );
    }
    onListening?.(server);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    writeLine(ctx.stderr, 'stopping the server… (finishing requests in flight; Ctrl-C again to force)');
    await server.stop();
  } finally {
    await engine.close();
  }
}
