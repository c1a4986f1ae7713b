/**
 * Counts the image files a run will see, in the background, so progress can show a total and an
 * ETA without first holding the whole listing in memory. Reads directories only (no per-file
 * stat), so it finishes long before the pipeline does.
 */
import { realpath } from 'node:fs/promises';
import { createPathFilter, type PathFilterOptions } from './path-filter.ts';
import { walkFolder } from './walk-folder.ts';

export async function countImageFiles(
  folders: readonly string[],
  filter: PathFilterOptions,
  signal?: AbortSignal,
): Promise<number> {
  let n = 0;
  const pathFilter = createPathFilter(filter);
  for (const folder of folders) {
    for await (const _ of walkFolder(await realpath(folder), { filter: pathFilter, countOnly: true })) {
      if (signal?.aborted) return n;
      n += 1;
    }
  }
  return n;
}
