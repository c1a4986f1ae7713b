/**
 * Stored neighbour pairs: each image, once written, asks the vector index for its nearest images
 * and the close ones are stored as pairs (store: image_neighbours). Duplicate groups are then
 * union-find over stored pairs, so adding files costs one query per new image, not a pass over
 * the library.
 */
import { NEIGHBOUR_LINKS } from '../defaults.ts';
import type { Library, NeighbourPair, NeighbourSettings } from '../store/library.types.ts';
import type { NeighbourPool } from './neighbour-pool.ts';

export type NeighbourSource = Pick<Library, 'getVector' | 'search'>;

export const DEFAULT_NEIGHBOUR_SETTINGS: NeighbourSettings = NEIGHBOUR_LINKS;

const PAGE = 1000;

export interface Gathered {
  readonly entries: { readonly id: number; readonly neighbours: NeighbourPair[] }[];
  /** k-NN queries run. */
  readonly queries: number;
}

/**
 * Close neighbours of one vector: hits other than `id` at or above the floor. One query with
 * the full k and beam. (A narrow first query, widened only when full, cost 60 % less but found
 * only 78 % of the pairs on bench/duplicates-scale.ts's 100k library: HNSW with a beam of 8
 * misses close neighbours too often.)
 */
export function neighboursOf(
  source: Pick<Library, 'search'>,
  id: number,
  vector: Float32Array,
  settings: NeighbourSettings,
): { neighbours: NeighbourPair[]; queries: number } {
  const hits = source.search('image', vector, {
    k: settings.k + 1,
    ef: Math.max(settings.ef, settings.k + 1),
  });
  const neighbours = hits
    .filter((h) => h.id !== id && h.score >= settings.floor)
    .slice(0, settings.k)
    .map((h) => ({ a: Math.min(id, h.id), b: Math.max(id, h.id), cosine: h.score }));
  return { neighbours, queries: 1 };
}

/** Queries the given images (those with a vector) without storing anything. */
export function gatherNeighbours(
  source: NeighbourSource,
  ids: readonly number[],
  settings: NeighbourSettings = DEFAULT_NEIGHBOUR_SETTINGS,
): Gathered {
  const entries: Gathered['entries'] = [];
  let queries = 0;
  for (const id of ids) {
    const vector = source.getVector(id);
    if (!vector) continue;
    const found = neighboursOf(source, id, vector, settings);
    queries += found.queries;
    entries.push({ id, neighbours: found.neighbours });
  }
  return { entries, queries };
}

/** Queries and stores the given images' neighbours; returns the number of queries. */
export function linkImages(
  library: NeighbourSource & Pick<Library, 'storeNeighbours'>,
  ids: readonly number[],
  settings: NeighbourSettings = DEFAULT_NEIGHBOUR_SETTINGS,
): number {
  if (ids.length === 0) return 0;
  const { entries, queries } = gatherNeighbours(library, ids, settings);
  library.storeNeighbours(settings, entries);
  return queries;
}

/**
 * Links every image whose query has not run (indexed before pairs were stored, or by a writer
 * that does not link), a page at a time. With settings other than the stored ones, everything
 * is gathered again. Returns the number of queries.
 */
export function linkUnlinked(
  library: NeighbourSource & Pick<Library, 'storeNeighbours' | 'unlinkedImages' | 'neighbourSettings'>,
  settings: NeighbourSettings = DEFAULT_NEIGHBOUR_SETTINGS,
): number {
  const current = library.neighbourSettings();
  if (!sameSettings(current, settings)) library.storeNeighbours(settings, []); // clears
  let queries = 0;
  for (let after = 0; ;) {
    const ids = library.unlinkedImages(after, PAGE);
    queries += linkImages(library, ids, settings);
    if (ids.length < PAGE) break;
    after = ids[ids.length - 1]!;
  }
  return queries;
}

/**
 * linkUnlinked with the queries on `pool`'s worker threads when at least PARALLEL_MIN_QUERIES
 * images wait (the first scan of a library indexed before pairs were stored, or after the
 * settings changed); the same pairs as linkUnlinked, stored a batch at a time as they arrive.
 */
export async function linkUnlinkedParallel(
  library: NeighbourSource & Pick<Library, 'storeNeighbours' | 'unlinkedImages' | 'neighbourSettings'>,
  pool: NeighbourPool,
  settings: NeighbourSettings = DEFAULT_NEIGHBOUR_SETTINGS,
): Promise<number> {
  const current = library.neighbourSettings();
  if (!sameSettings(current, settings)) library.storeNeighbours(settings, []); // clears
  if (library.unlinkedImages(0, pool.minQueries).length < pool.minQueries) {
    return linkUnlinked(library, settings);
  }
  function* batches(): Generator<{ ids: number[]; vectors: Float32Array[] }> {
    for (let after = 0; ;) {
      const page = library.unlinkedImages(after, PAGE);
      const batch = { ids: [] as number[], vectors: [] as Float32Array[] };
      for (const id of page) {
        const vector = library.getVector(id);
        if (!vector) continue;
        batch.ids.push(id);
        batch.vectors.push(vector);
      }
      if (batch.ids.length > 0) yield batch;
      if (page.length < PAGE) break;
      after = page[page.length - 1]!;
    }
  }
  return pool.query(batches(), settings, (entries) => library.storeNeighbours(settings, entries));
}

export function sameSettings(a: NeighbourSettings | undefined, b: NeighbourSettings): boolean {
  return a !== undefined && a.floor === b.floor && a.k === b.k && a.ef === b.ef;
}
