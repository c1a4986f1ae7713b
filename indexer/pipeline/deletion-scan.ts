/**
 * After a complete rescan, finds items whose source is gone. Images are deleted only when their
 * file is really missing (not merely excluded by tonight's --include), texts when their line
 * or caption is no longer in the corpus that was fully re-read.
 */
import type { ItemKind } from '../../src/store/library.types.ts';
import type { IndexLibrary } from './index-deps.ts';
import { pathExists } from './path-exists.ts';

export interface DeletionScope {
  readonly rootId: number;
  /** Only uris starting with this ('' = the whole root). */
  readonly prefix: string;
  readonly kind: ItemKind | 'video';
  /** Check the file before deleting (images); texts trust the re-read corpus. */
  readonly checkFile: boolean;
}

export const seenKey = (rootId: number, uri: string): string => `${rootId}\u0000${uri}`;

/** Ids to delete. Collected first: the store's iterator must be finished before writing. */
export async function findDeletions(
  library: IndexLibrary,
  scope: DeletionScope,
  seen: ReadonlySet<string>,
): Promise<number[]> {
  const unseen: Array<{ id: number; path: string | null }> = [];
  for (const item of library.iterateRoot(scope.rootId)) {
    if (item.kind !== scope.kind || !item.uri.startsWith(scope.prefix)) continue;
    if (item.status === 'deleted' || seen.has(seenKey(scope.rootId, item.uri))) continue;
    unseen.push({ id: item.id, path: scope.checkFile ? library.resolvePath(item) : null });
  }
  const gone: number[] = [];
  for (const u of unseen) {
    if (!scope.checkFile || !u.path || !(await pathExists(u.path))) gone.push(u.id);
  }
  return gone;
}
