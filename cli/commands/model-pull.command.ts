/**
 * `clipdex model pull <name|owner/repo> [--variant fp32|fp16|quantized] [--revision main] [--force]`
 * Downloads a model package from the Hugging Face hub (or `HF_ENDPOINT`, with `HF_TOKEN`) into
 * the model cache, with a progress bar on a terminal and plain lines otherwise.
 */
import cliProgress from 'cli-progress';
import { EngineError } from '../../src/errors.ts';
import { findCatalogEntry } from '../../src/model/catalog.ts';
import { HubClient } from '../../src/model/hub/hub-client.ts';
import { DEFAULT_HUB_ENDPOINT } from '../../src/model/hub/hub-url.ts';
import { pullModel, type PullEvent } from '../../src/model/hub/pull-model.ts';
import { isVariant } from '../../src/model/hub/variant-files.ts';
import { ModelCache } from '../../src/model/model-cache.ts';
import { parseModelRef, repoForName } from '../../src/model/resolve-model.ts';
import { writeLine, type CommandContext } from '../command-context.ts';
import { modelCacheDir } from './model-cache-dir.ts';

export interface ModelPullArgs {
  readonly _: string[];
  readonly variant?: string;
  readonly revision?: string;
  readonly force?: boolean;
  readonly cacheDir?: string;
}

const mb = (bytes: number): string =>
  bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;

function progressReporter(ctx: CommandContext): { onEvent: (e: PullEvent) => void; stop: () => void } {
  if (!ctx.interactive) {
    return {
      onEvent: (e) => {
        if (e.type === 'resolved') {
          writeLine(
            ctx.stderr,
            `${e.repo} @ ${e.commit.slice(0, 10)}: ${e.files.length} files, ${mb(e.totalBytes)}`,
          );
        }
        if (e.type === 'file-done') writeLine(ctx.stderr, `  ok ${e.path}`);
        if (e.type === 'retry') writeLine(ctx.stderr, `  retry ${e.attempt} for ${e.path}: ${e.reason}`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {percentage}% | {done}/{size} | {file}', hideCursor: true, stream: ctx.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onEvent: (e) => {
      if (e.type === 'resolved') {
        writeLine(
          ctx.stderr,
          `${e.repo} @ ${e.commit.slice(0, 10)}: ${e.files.length} files, ${mb(e.totalBytes)}`,
        );
        bar.start(e.totalBytes, 0, { done: mb(0), size: mb(e.totalBytes), file: '' });
        started = true;
      }
      if (e.type === 'progress') bar.update(e.receivedBytes, { done: mb(e.receivedBytes), file: e.path });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

export async function run(args: ModelPullArgs, ctx: CommandContext): Promise<void> {
  const ref = args._[0];
  if (!ref) {
    throw new EngineError(
      'INVALID_INPUT',
      'model pull needs a name from `clipdex model list` or a hub repo id (owner/name)',
    );
  }
  const { name, variant: refVariant } = parseModelRef(ref);
  const repo = repoForName(name);
  if (!repo) {
    throw new EngineError(
      'INVALID_INPUT',
      `"${name}" is neither a catalog name (see \`clipdex model list\`) nor a hub repo id like Xenova/clip-vit-base-patch32`,
    );
  }
  const variant = args.variant ?? refVariant ?? 'fp32';
  if (!isVariant(variant)) {
    throw new EngineError('INVALID_INPUT', `unknown variant "${variant}"; use fp32, fp16 or quantized`);
  }
  const cache = new ModelCache(modelCacheDir(ctx, args.cacheDir));
  const client = new HubClient({
    endpoint: ctx.env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT,
    token: ctx.env.HF_TOKEN || ctx.env.HUGGING_FACE_HUB_TOKEN,
    userAgent: 'clipdex/0.1',
  });
  const progress = progressReporter(ctx);
  let result: Awaited<ReturnType<typeof pullModel>>;
  try {
    result = await pullModel({
      client,
      cache,
      repo,
      variant,
      signal: ctx.signal,
      onEvent: progress.onEvent,
      ...(args.revision ? { revision: args.revision } : {}),
      ...(args.force ? { force: true } : {}),
    });
  } finally {
    progress.stop();
  }
  const useAs = findCatalogEntry(name)?.name ?? repo;
  const suffix = variant === 'fp32' ? '' : `@${variant}`;
  if (result.alreadyInstalled) {
    writeLine(
      ctx.stdout,
      `${repo} (${variant}) is already installed at ${result.dir} (use --force to download again)`,
    );
  } else {
    writeLine(
      ctx.stdout,
      `installed ${repo} (${variant}, ${result.manifest.layout} layout, commit ${result.manifest.commit.slice(0, 10)}) at ${result.dir}`,
    );
  }
  writeLine(ctx.stdout, `use it with: --model ${useAs}${suffix}`);
}
