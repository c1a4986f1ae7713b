/**
 * Stored neighbour pairs: each image, once written, asks the vector index for its nearest images
 * and the close ones are stored as pairs (store: image_neighbours). Duplicate groups are then
 * union-find over stored pairs, so adding files costs one query per new image, not a pass over
 * the library.
 *
 * Most images have no close neighbour at all, so the query starts narrow (k = 4, small beam) and
 * widens to the full k only when the narrow answer is full of close hits: the same pairs for a
 * fraction of the HNSW work (bench/duplicates-scale.ts compares both).
 */
import { NEIGHBOUR_LINKS } from '../defaults.ts';
import type { Library, NeighbourPair, NeighbourSettings } from '../store/library.types.ts';

export type NeighbourSource = Pick<Library, 'getVector' | 'search'>;

export const DEFAULT_NEIGHBOUR_SETTINGS: NeighbourSettings = NEIGHBOUR_LINKS;

const NARROW_K = 4;
const PAGE = 1000;

export interface Gathered {
  readonly entries: { readonly id: number; readonly neighbours: NeighbourPair[] }[];
  /** k-NN queries run (a widened query counts twice). */
  readonly queries: number;
}

/** Close neighbours of one vector: hits other than `id` at or above the floor. */
export function neighboursOf(
  source: Pick<Library, 'search'>,
  id: number,
  vector: Float32Array,
  settings: NeighbourSettings,
  narrowK = NARROW_K,
): { neighbours: NeighbourPair[]; queries: number } {
  const take = (k: number, ef: number): { hits: ReturnType<Library['search']>; full: boolean } => {
    const hits = source.search('image', vector, { k: k + 1, ef: Math.max(ef, k + 1) });
    const close = hits.filter((h) => h.score >= settings.floor);
    return { hits: close, full: hits.length === k + 1 && close.length === hits.length };
  };
  let queries = 1;
  let result =
    narrowK < settings.k ? take(narrowK, Math.min(settings.ef, 2 * narrowK)) : take(settings.k, settings.ef);
  if (result.full && settings.k > narrowK) {
    result = take(settings.k, settings.ef);
    queries++;
  }
  const neighbours = result.hits
    .filter((h) => h.id !== id)
    .slice(0, settings.k)
    .map((h) => ({ a: Math.min(id, h.id), b: Math.max(id, h.id), cosine: h.score }));
  return { neighbours, queries };
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
  for (let after = 0; ; ) {
    const ids = library.unlinkedImages(after, PAGE);
    queries += linkImages(library, ids, settings);
    if (ids.length < PAGE) break;
    after = ids[ids.length - 1]!;
  }
  return queries;
}

export function sameSettings(a: NeighbourSettings | undefined, b: NeighbourSettings): boolean {
  return a !== undefined && a.floor === b.floor && a.k === b.k && a.ef === b.ef;
}
