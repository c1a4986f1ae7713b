/**
 * When no --model is given, a command should use the model the library was built with, not
 * fail because the bundled default differs. Opening with the default reports MODEL_MISMATCH
 * naming the library's model; this finds that model among pulled models (or a package directory
 * of that name) so the command can retry with it.
 */
import os from 'node:os';
import { EngineError, isEngineError } from '../../src/errors.ts';
import { defaultModelCacheDir } from '../../src/model/model-cache.ts';
import { resolveModel } from '../../src/model/resolve-model.ts';
import type { CommandContext } from '../command-context.ts';

/** The library's own model directory, or undefined if the error is not a fixable mismatch. */
export function libraryModelDir(error: unknown, ctx: CommandContext): string | undefined {
  if (!isEngineError(error, 'MODEL_MISMATCH')) return undefined;
  const name = (error.details?.library as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name === '') return undefined;
  try {
    return resolveModel(name, defaultModelCacheDir(ctx.env, os.homedir()));
  } catch {
    return undefined;
  }
}

/** The mismatch again, with the one hint that fixes it when the model is not at hand. */
export function withModelHint(error: unknown): unknown {
  if (!isEngineError(error, 'MODEL_MISMATCH')) return error;
  const name = (error.details?.library as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string') return error;
  return new EngineError('MODEL_MISMATCH', `${error.message}; or pass --model with the model it was built with ("${name}")`, {
    cause: error,
    ...(error.details ? { details: { ...error.details } } : {}),
  });
}
