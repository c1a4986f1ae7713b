/**
 * Streams the image files under a folder, depth first in name order, without ever holding the
 * whole listing in memory. Symbolic links are followed, but every directory is entered at most
 * once by its real path, so link loops (a → b → a, or a link to an ancestor) end quietly.
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PathFilter } from './path-filter.ts';
import { isMediaName } from './media-types.ts';

export interface DiscoveredFile {
  readonly absPath: string;
  /** '/'-separated path relative to the walked folder. */
  readonly relPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Set when the entry looks like an image but cannot be read (broken link, special file). */
  readonly error?: string;
}

export interface WalkOptions {
  readonly filter: PathFilter;
  /** Skip stat() on plain files (only counts are needed): size and mtime are then 0. */
  readonly countOnly?: boolean;
  /** Called for directories that cannot be listed; the walk goes on. */
  readonly onDirectoryError?: (absPath: string, error: unknown) => void;
}

export async function* walkFolder(root: string, options: WalkOptions): AsyncGenerator<DiscoveredFile> {
  const visited = new Set<string>();
  yield* walkDir(root, '', options, visited);
}

async function* walkDir(
  dir: string,
  relDir: string,
  options: WalkOptions,
  visited: Set<string>,
): AsyncGenerator<DiscoveredFile> {
  let real: string;
  let names: Array<{ name: string; kind: 'file' | 'dir' | 'link' | 'other' }>;
  try {
    real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    names = [];
    // opendir streams entries; we keep only names and types of this one directory.
    for await (const d of await opendir(dir)) {
      const kind = d.isFile() ? 'file' : d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'link' : 'other';
      names.push({ name: d.name, kind });
    }
  } catch (error) {
    options.onDirectoryError?.(dir, error);
    return;
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  for (const entry of names) {
    const absPath = path.join(dir, entry.name);
    const relPath = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
    let kind = entry.kind;
    let stats: { size: number; mtimeMs: number; isFile(): boolean; isDirectory(): boolean } | undefined;
    if (kind === 'link' || (kind === 'file' && !options.countOnly)) {
      try {
        stats = await stat(absPath);
        kind = stats.isFile() ? 'file' : stats.isDirectory() ? 'dir' : 'other';
      } catch (error) {
        if (isMediaName(entry.name) && options.filter.acceptFile(relPath, entry.name)) {
          const reason =
            kind === 'link' ? 'broken symbolic link' : `cannot stat: ${(error as Error).message}`;
          yield { absPath, relPath, size: 0, mtimeMs: 0, error: `unreadable: ${reason}` };
        }
        continue;
      }
    }
    if (kind === 'dir') {
      if (options.filter.enterDirectory(relPath, entry.name)) {
        yield* walkDir(absPath, relPath, options, visited);
      }
      continue;
    }
    if (!isMediaName(entry.name) || !options.filter.acceptFile(relPath, entry.name)) continue;
    if (kind === 'other') {
      yield { absPath, relPath, size: 0, mtimeMs: 0, error: 'unreadable: not a regular file' };
      continue;
    }
    yield { absPath, relPath, size: stats?.size ?? 0, mtimeMs: Math.trunc(stats?.mtimeMs ?? 0) };
  }
}
