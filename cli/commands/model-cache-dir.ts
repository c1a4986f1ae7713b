/**
 * The model cache every command uses: `--cache-dir` if given, else `$CLIPDEX_CACHE/models`,
 * `$XDG_CACHE_HOME/clipdex/models` or `~/.cache/clipdex/models`. Commands that accept
 * `--model <name>` pass this to `resolveModel`.
 */
import os from 'node:os';
import path from 'node:path';
import { defaultModelCacheDir } from '../../src/model/model-cache.ts';
import type { CommandContext } from '../command-context.ts';

export function modelCacheDir(ctx: CommandContext, flag?: string): string {
  return flag ? path.resolve(ctx.cwd, flag) : defaultModelCacheDir(ctx.env, os.homedir());
}
