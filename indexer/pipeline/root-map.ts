/**
 * Maps absolute file paths to (root, uri). A file always belongs to the deepest registered root
 * containing it, so indexing `/photos` after `/photos/2020` (or the other way round) never files
 * the same photo twice under two roots. A folder inside an existing root reuses that root.
 */
import path from 'node:path';
import type { Root } from '../../src/store/library.types.ts';
import type { IndexLibrary } from './index-deps.ts';

export interface Placement {
  readonly rootId: number;
  readonly uri: string;
}

export class RootMap {
  #roots: Root[];

  constructor(private readonly library: IndexLibrary) {
    this.#roots = library.listRoots();
  }

  get roots(): readonly Root[] {
    return this.#roots;
  }

  /** The root for a folder: the deepest existing root containing it, else a new root. */
  rootFor(absFolder: string): Root {
    const owner = this.#owner(absFolder);
    if (owner) return owner;
    const root = this.library.ensureRoot(absFolder);
    this.#roots = this.library.listRoots();
    return root;
  }

  /** Where an absolute path lives, registering `fallbackRoot` if no root contains it. */
  place(absPath: string, fallbackRoot?: string): Placement | undefined {
    const owner = this.#owner(absPath) ?? (fallbackRoot ? this.rootFor(fallbackRoot) : undefined);
    if (!owner) return undefined;
    return { rootId: owner.id, uri: toUri(path.relative(owner.path, absPath)) };
  }

  /** Roots at or below a folder: a rescan of the folder speaks for all their items. */
  rootsWithin(absFolder: string): Root[] {
    return this.#roots.filter((r) => r.path === absFolder || r.path.startsWith(absFolder + path.sep));
  }

  #owner(absPath: string): Root | undefined {
    let best: Root | undefined;
    for (const r of this.#roots) {
      if (absPath === r.path || absPath.startsWith(r.path.endsWith(path.sep) ? r.path : r.path + path.sep)) {
        if (!best || r.path.length > best.path.length) best = r;
      }
    }
    return best;
  }
}

export function toUri(relative: string): string {
  return relative.split(path.sep).join('/');
}
