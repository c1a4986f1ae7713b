/**
 * Which model a command loads for a library. With --model: that one (opening the library still
 * checks the fingerprint, and MODEL_MISMATCH names both models). Without: a new library gets the
 * bundled model; an existing one gets the model it remembers — the directory it was last loaded
 * from when that still holds the same fingerprint, else a pulled model of that name — or a clear
 * error naming both places it looked.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError, isEngineError } from '../../src/errors.ts';
import { bundledModelDir } from '../../src/model/bundled-model.ts';
import { defaultModelCacheDir } from '../../src/model/model-cache.ts';
import { resolveModel } from '../../src/model/resolve-model.ts';
import { readLibraryModel } from '../../src/store/open-library.ts';
import type { CommandContext } from '../command-context.ts';
import { modelDirFor, type ModelArgs } from './open-model.ts';

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Runs `open(modelDir)` (load the model, open the library with its fingerprint) with the right
 * model directory, trying the library's remembered model in order when no --model was given.
 * `open` must throw MODEL_MISMATCH when the model does not match the library.
 */
export async function withLibraryModel<T>(
  args: ModelArgs,
  ctx: CommandContext,
  libraryDir: string,
  open: (modelDir: string) => Promise<T>,
): Promise<T> {
  if (args.model !== undefined) {
    return open(modelDirFor(args, ctx)).catch((error: unknown) => {
      if (!isEngineError(error, 'MODEL_MISMATCH')) throw error;
      const name = (error.details?.library as { name?: unknown } | undefined)?.name;
      if (typeof name !== 'string') throw error;
      // The one hint that fixes it when the library's model is at hand.
      throw new EngineError(
        'MODEL_MISMATCH',
        `${error.message}; or pass --model with the model it was built with ("${name}")`,
        {
          cause: error,
          ...(error.details ? { details: { ...error.details } } : {}),
        },
      );
    });
  }
  const record = readLibraryModel(libraryDir);
  if (!record) return open(modelDirFor(args, ctx));
  const { name, id } = record.fingerprint;
  // A pulled model of that name: a catalog name or repo id, or a package in the model cache
  // under the directory name it had (the name a model gets is its directory's).
  const cacheDir = defaultModelCacheDir(ctx.env, os.homedir());
  let pulled: string | undefined;
  try {
    pulled = resolveModel(name, cacheDir);
  } catch {
    pulled = isDirectory(path.join(cacheDir, name)) ? path.join(cacheDir, name) : undefined;
  }
  const candidates = [
    ...new Set([
      record.dir && isDirectory(record.dir) ? record.dir : undefined,
      pulled,
      record.dir === undefined ? bundledModelDir() : undefined,
    ]),
  ].filter((dir): dir is string => dir !== undefined);
  const tried: string[] = [];
  for (const dir of candidates) {
    try {
      return await open(dir);
    } catch (error) {
      if (
        !isEngineError(error, 'MODEL_MISMATCH') &&
        !isEngineError(error, 'MODEL_LOAD_FAILED') &&
        !isEngineError(error, 'NOT_FOUND')
      ) {
        throw error;
      }
      tried.push(`${dir} (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const recorded =
    record.dir === undefined
      ? 'no model directory was recorded for it'
      : isDirectory(record.dir)
        ? `the directory it was loaded from, ${record.dir}, now holds a different model`
        : `the directory it was loaded from, ${record.dir}, no longer exists (moved or deleted?)`;
  const pulledLine =
    pulled === undefined
      ? `no pulled model is named "${name}" (looked in ${cacheDir})`
      : `the pulled model "${name}" at ${pulled} is a different model`;
  throw new EngineError(
    'MODEL_MISMATCH',
    `library ${libraryDir} holds vectors of model ${name} (id ${id}); ${recorded}, and ${pulledLine}. ` +
      `Pass --model <dir|name> with the model it was indexed with (or \`clipdex model pull ${name}\` if it is a catalog model)`,
    {
      details: {
        library: { name, id, dim: record.fingerprint.dim, dir: record.dir ?? null },
        pulled: pulled ?? null,
        tried,
      },
    },
  );
}
