/**
 * What `--model`, `--device` and `--threads` mean for every indexer command: nothing → the
 * bundled model; a directory → that package; a pulled name → its cache directory.
 */
import os from 'node:os';
import type { DeviceRequest } from '../../src/encoders/encoder.ts';
import { EngineError } from '../../src/errors.ts';
import { CalibrationCache } from '../../src/model/calibration-cache.ts';
import { loadModel, type LoadModelOptions } from '../../src/model/load-model.ts';
import { defaultModelCacheDir } from '../../src/model/model-cache.ts';
import { resolveModel } from '../../src/model/resolve-model.ts';
import type { ThreadSettings } from '../../src/model/tower-threads.ts';
import type { CommandContext } from '../command-context.ts';

export interface ModelArgs {
  readonly model?: string;
  readonly device?: string;
  readonly threads?: string | number;
}

const DEVICES = new Set(['auto', 'cpu', 'cuda', 'webgpu']);

export function modelDirFor(args: ModelArgs, ctx: CommandContext): string {
  return resolveModel(args.model, defaultModelCacheDir(ctx.env, os.homedir()));
}

export function deviceOf(args: ModelArgs): DeviceRequest {
  const device = args.device ?? 'auto';
  if (!DEVICES.has(device)) {
    throw new EngineError(
      'INVALID_INPUT',
      `--device must be one of auto, cpu, cuda, webgpu (got "${device}")`,
    );
  }
  return device as DeviceRequest;
}

export function threadsOf(args: ModelArgs): number | undefined {
  return args.threads === undefined ? undefined : positiveInt(args.threads, '--threads');
}

/**
 * `--threads n` for both towers, else a calibration per tower remembered in the model cache
 * (measured once per machine and model; `clipdex model info` shows it).
 */
export function threadSettings(
  args: ModelArgs,
  ctx: CommandContext,
  cacheDir = defaultModelCacheDir(ctx.env, os.homedir()),
): ThreadSettings {
  const threads = threadsOf(args);
  return threads === undefined ? { calibration: { cache: new CalibrationCache(cacheDir) } } : { threads };
}

export async function openModel(
  args: ModelArgs,
  ctx: CommandContext,
  extra: Pick<LoadModelOptions, 'spinning' | 'decode'> = {},
) {
  return loadModel(modelDirFor(args, ctx), {
    device: deviceOf(args),
    ...threadSettings(args, ctx),
    ...extra,
  });
}

export function positiveInt(value: string | number, flag: string, max = 1_000_000): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new EngineError('INVALID_INPUT', `${flag} must be an integer from 1 to ${max} (got "${value}")`);
  }
  return n;
}
