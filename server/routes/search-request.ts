/**
 * Turns each way of asking for a search (query string, JSON body, multipart upload, raw image
 * bytes, "similar to item N") into the search service's one `SearchRequest`.
 */
import type { z } from 'zod';
import { MAX_TERMS } from '../../src/defaults.ts';
import { DEFAULT_ALPHA } from '../../src/search/fusion.ts';
import type { QueryTerm, SearchRequest } from '../../src/search/search.types.ts';
import type { ItemFilter } from '../../src/store/library.types.ts';
import {
  filterSchema,
  searchBodySchema,
  searchFieldsSchema,
  searchOptionsQuerySchema,
  searchQuerySchema,
  termSchema,
  type searchOptionsSchema,
} from '../schemas/search.schema.ts';
import { parseJsonField, validate } from '../schemas/validate.ts';
import { z as zod } from 'zod';

type Options = z.output<typeof searchOptionsSchema>;
const FILTER_KEYS = Object.keys(filterSchema.shape) as (keyof ItemFilter)[];

function pickFilter(flat: Record<string, unknown>): ItemFilter | undefined {
  const filter: Record<string, unknown> = {};
  for (const key of FILTER_KEYS) if (flat[key] !== undefined) filter[key] = flat[key];
  return Object.keys(filter).length > 0 ? filter : undefined;
}

function toTerm(term: z.output<typeof termSchema>): QueryTerm {
  if ('vector' in term) return { vector: Float32Array.from(term.vector), weight: term.weight };
  return term;
}

function request(options: Options, terms: QueryTerm[], filter: ItemFilter | undefined): SearchRequest {
  return {
    target: options.target,
    terms,
    k: options.k,
    sort: options.sort,
    mode: options.mode,
    ...fusionOf(options),
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    ...(options.minScore === undefined ? {} : { minScore: options.minScore }),
    ...(options.collapse === undefined ? {} : { collapse: options.collapse }),
    ...(options.rerank === undefined ? {} : { rerank: options.rerank }),
    ...(filter === undefined ? {} : { filter }),
  };
}

function fusionOf(options: Options): Pick<SearchRequest, 'fusion'> {
  if (options.fusion === 'convex') {
    return { fusion: { method: 'convex', alpha: options.alpha ?? DEFAULT_ALPHA } };
  }
  if (options.fusion === 'rrf') return { fusion: { method: 'rrf' } };
  if (options.alpha !== undefined) return { fusion: { method: 'convex', alpha: options.alpha } };
  return {};
}

/** GET /api/search?q=… */
export function fromQueryString(query: unknown): SearchRequest {
  const parsed = validate(searchQuerySchema, query, 'search query');
  return request(parsed, [{ text: parsed.q }], pickFilter(parsed));
}

/** POST /api/search with a JSON body. */
export function fromJsonBody(body: unknown): SearchRequest {
  const parsed = validate(searchBodySchema, body, 'search body');
  const terms: QueryTerm[] = [];
  if (parsed.q !== undefined) terms.push({ text: parsed.q });
  if (parsed.image !== undefined) terms.push({ image: parsed.image });
  for (const term of parsed.terms ?? []) terms.push(toTerm(term));
  return request(parsed, terms, pickFilter(parsed.filter ?? {}));
}

/** Raw image bytes (Content-Type image/*), options in the query string; `q` adds words to the photo. */
export function fromImageBytes(bytes: Uint8Array, query: unknown): SearchRequest {
  const parsed = validate(searchOptionsQuerySchema, query, 'search query');
  const terms: QueryTerm[] = [{ image: bytes }];
  if (parsed.q !== undefined) terms.push({ text: parsed.q });
  return request(parsed, terms, pickFilter(parsed));
}

/** Multipart: an `image` file plus optional fields (q, target, k, …, filter and terms as JSON). */
export function fromMultipart(fields: unknown, image: Uint8Array | undefined): SearchRequest {
  const parsed = validate(searchFieldsSchema, fields, 'search form');
  const terms: QueryTerm[] = [];
  if (image !== undefined) terms.push({ image });
  if (parsed.q !== undefined) terms.push({ text: parsed.q });
  const extra = validate(
    zod.array(termSchema).max(MAX_TERMS).optional(),
    parseJsonField(parsed.terms, 'terms'),
    'terms',
  );
  for (const term of extra ?? []) terms.push(toTerm(term));
  if (terms.length === 0) {
    validate(zod.never({ error: 'give an image file, q or terms' }), undefined, 'search form');
  }
  const filterJson = validate(filterSchema.optional(), parseJsonField(parsed.filter, 'filter'), 'filter');
  return request(parsed, terms, pickFilter(filterJson ?? parsed));
}

/** GET /api/items/:id/similar — the item itself is excluded by the search service. */
export function fromSimilar(itemId: number, query: unknown): SearchRequest {
  const parsed = validate(searchOptionsQuerySchema, query, 'search query');
  const terms: QueryTerm[] = [{ itemId }];
  if (parsed.q !== undefined) terms.push({ text: parsed.q });
  return request(parsed, terms, pickFilter(parsed));
}
