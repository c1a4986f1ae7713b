/**
 * `clipdex model info [dir|name] [--json] [--device …] [--threads n] [--variant v]`: loads the
 * package exactly as search would and prints its layout, graph I/O, dimension, context length,
 * preprocessing and the execution provider that actually runs.
 */
import type { DeviceRequest } from '../../src/encoders/encoder.ts';
import { EngineError } from '../../src/errors.ts';
import { describeModel, formatModelDescription } from '../../src/model/describe-model.ts';
import { CalibrationCache } from '../../src/model/calibration-cache.ts';
import { loadModel } from '../../src/model/load-model.ts';
import { resolveModel } from '../../src/model/resolve-model.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';
import { modelCacheDir } from './model-cache-dir.ts';

export interface ModelInfoArgs {
  readonly _: readonly (string | undefined)[];
  readonly json?: boolean;
  readonly device?: DeviceRequest;
  readonly threads?: string;
  readonly variant?: string;
  readonly cacheDir?: string;
}

export async function run(args: ModelInfoArgs, ctx: CommandContext): Promise<void> {
  const cacheDir = modelCacheDir(ctx, args.cacheDir);
  const dir = resolveModel(args._[0], cacheDir);
  const threads = args.threads === undefined ? undefined : Number(args.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new EngineError('INVALID_INPUT', `--threads must be a positive integer, got ${args.threads}`);
  }
  const model = await loadModel(dir, {
    ...(args.device ? { device: args.device } : {}),
    ...(threads ? { threads } : { calibration: { cache: new CalibrationCache(cacheDir) } }),
    ...(args.variant ? { variant: args.variant } : {}),
  });
  try {
    const description = describeModel(model);
    if (args.json) writeJson(ctx.stdout, description);
    else for (const line of formatModelDescription(description)) writeLine(ctx.stdout, line);
  } finally {
    await model.close();
  }
}
