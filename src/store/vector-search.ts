/**
 * k-NN over one modality's graph with optional SQL filters, and exact scoring. When a filter
 * leaves few items, brute force over their stored vectors is both exact and faster than
 * steering HNSW through a sparse allowed set; otherwise HNSW searches with a filter callback.
 */
import { EngineError } from '../errors.ts';
import type { VectorIndex } from '../vector/vector-index.ts';
import { cosine } from '../vector/vector-math.ts';
import type { Db } from './database.ts';
import { filterToSql, isEmptyFilter } from './item-filter.ts';
import type { ItemKind, Root, VectorHit, VectorSearchOptions } from './library.types.ts';
import type { VectorRepository } from './vector.repository.ts';

export const MAX_K = 10_000;
export const MAX_EF = 10_000;
/** Allowed sets up to this size are scored exactly instead of searched approximately. */
export const BRUTE_FORCE_LIMIT = 2_000;

/** What search needs of an index: top-k by cosine distance with an optional label filter. */
export type SearchableIndex = Pick<VectorIndex, 'search'>;

export interface SearchContext {
  readonly index: SearchableIndex;
  readonly db: Db;
  readonly vectors: VectorRepository;
  readonly roots: readonly Root[];
  readonly dim: number;
  readonly efSearch: number;
}

export function searchGraph(
  ctx: SearchContext,
  kind: ItemKind,
  query: Float32Array,
  options: VectorSearchOptions,
): VectorHit[] {
  checkQuery(query, ctx.dim);
  const { k } = options;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
    throw new EngineError('INVALID_INPUT', `k must be an integer from 1 to ${MAX_K}`);
  }
  const ef = options.ef ?? ctx.efSearch;
  if (!Number.isInteger(ef) || ef < 1 || ef > MAX_EF) {
    throw new EngineError('INVALID_INPUT', `ef must be an integer from 1 to ${MAX_EF}`);
  }
  const excluded = new Set(options.excludeIds ?? []);
  const toHits = (hits: { label: number; distance: number }[]): VectorHit[] =>
    hits.map((h) => ({ id: h.label, score: clampScore(1 - h.distance) }));

  if (isEmptyFilter(options.filter) || !options.filter) {
    if (excluded.size === 0) return toHits(ctx.index.search(query, k, ef));
    return toHits(ctx.index.search(query, k, ef, (label) => !excluded.has(label)));
  }
  const where = filterToSql(kind, options.filter, ctx.roots);
  const allowed = (
    ctx.db
      .prepare(`SELECT id FROM items WHERE ${where.sql}`)
      .pluck()
      .all(...where.params) as number[]
  ).filter((id) => !excluded.has(id));
  if (allowed.length <= BRUTE_FORCE_LIMIT) return exactTopK(ctx.vectors, query, allowed, k);
  const allowedSet = new Set(allowed);
  const hits = ctx.index.search(query, k, ef, (label) => allowedSet.has(label));
  // HNSW can strand a filtered search in a region with too few allowed nodes; then be exact.
  if (hits.length < Math.min(k, allowed.length)) return exactTopK(ctx.vectors, query, allowed, k);
  return toHits(hits);
}

export function scoreIds(
  vectors: VectorRepository,
  dim: number,
  query: Float32Array,
  ids: readonly number[],
): VectorHit[] {
  checkQuery(query, dim);
  const found = vectors.getLive(ids);
  return ids.flatMap((id) => {
    const vector = found.get(id);
    return vector ? [{ id, score: clampScore(cosine(query, vector)) }] : [];
  });
}

function exactTopK(
  vectors: VectorRepository,
  query: Float32Array,
  ids: readonly number[],
  k: number,
): VectorHit[] {
  const hits = scoreIds(vectors, query.length, query, ids);
  hits.sort((a, b) => b.score - a.score || a.id - b.id);
  return hits.slice(0, k);
}

/** float32 rounding can put a self-match a hair above 1; cosine is [-1, 1]. */
function clampScore(score: number): number {
  return Math.min(1, Math.max(-1, score));
}

function checkQuery(query: Float32Array, dim: number): void {
  if (!(query instanceof Float32Array)) {
    throw new EngineError('INVALID_INPUT', 'query must be a Float32Array');
  }
  if (query.length !== dim) {
    throw new EngineError(
      'DIMENSION_MISMATCH',
      `query has ${query.length} dimensions but this library holds ${dim}-dimensional vectors`,
    );
  }
  for (const x of query) {
    if (!Number.isFinite(x)) throw new EngineError('INVALID_INPUT', 'query contains a non-finite value');
  }
}
