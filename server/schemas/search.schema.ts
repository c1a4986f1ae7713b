/**
 * Request shapes for search, validated with zod at the edge. Query strings arrive as strings,
 * JSON bodies as typed values; both end as one `SearchRequest` for the search service.
 */
import { z } from 'zod';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_QUERY_CHARS,
  MAX_RERANK_K,
  MAX_TERMS,
} from '../../src/defaults.ts';
import { FILTER_FORMATS, isFilterFormat } from '../../src/store/item-filter.ts';

const tooLong = (_name: string) => `longer than the limit of ${MAX_QUERY_CHARS} characters`;
const queryText = (name: string) =>
  z.string().trim().min(1, `${name} must not be empty`).max(MAX_QUERY_CHARS, tooLong(name));

const dateMs = z.union([
  z.number().finite(),
  z
    .string()
    .trim()
    .min(1)
    .transform((s, ctx) => {
      const n = /^-?\d+$/.test(s) ? Number(s) : Date.parse(s);
      if (Number.isNaN(n)) {
        ctx.addIssue({ code: 'custom', message: 'expected epoch milliseconds or an ISO date' });
        return z.NEVER;
      }
      return n;
    }),
]);

const nonNegative = z.coerce.number().finite().nonnegative();
const formats = z
  .union([z.array(z.string().trim().min(1).max(16)).max(32), z.string().trim().min(1).max(400)])
  .transform((v) =>
    (Array.isArray(v) ? v : v.split(',')).map((f) => f.trim().toLowerCase()).filter((f) => f.length > 0),
  )
  .superRefine((list, ctx) => {
    const unknown = list.filter((f) => !isFilterFormat(f));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown format ${unknown.map((f) => `'${f}'`).join(', ')}; known: ${FILTER_FORMATS.join(', ')}`,
      });
    }
  });

const tags = z
  .union([z.array(z.string().trim().min(1).max(200)).max(32), z.string().trim().min(1).max(2000)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((t) => t.trim()).filter((t) => t.length > 0));
const keywordList = z
  .union([z.array(z.string().trim().min(1).max(200)).max(32), z.string().trim().min(1).max(2000)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((k) => k.trim()).filter((k) => k.length > 0));

/** `{lat, lon, km}` in JSON, or "lat,lon,km" in a query string. */
const nearSchema = z.union([
  z
    .object({
      lat: z.number().min(-90).max(90),
      lon: z.number().min(-180).max(180),
      km: z.number().positive().max(20_100),
    })
    .strict(),
  z
    .string()
    .trim()
    .transform((s, ctx) => {
      const parts = s.split(',').map((p) => Number(p.trim()));
      const [lat, lon, km] = parts;
      if (
        parts.length !== 3 ||
        lat === undefined ||
        lon === undefined ||
        km === undefined ||
        !(Math.abs(lat) <= 90) ||
        !(Math.abs(lon) <= 180) ||
        !(km > 0 && km <= 20_100)
      ) {
        ctx.addIssue({
          code: 'custom',
          message: 'near is "lat,lon,km" with lat −90…90, lon −180…180, km > 0',
        });
        return z.NEVER;
      }
      return { lat, lon, km };
    }),
]);

const kinds = z
  .union([z.array(z.enum(['image', 'text', 'video'])).max(3), z.string().trim().min(1).max(40)])
  .transform((v, ctx) => {
    const list = (Array.isArray(v) ? v : v.split(','))
      .map((k) => k.trim().toLowerCase())
      .filter((k) => k.length > 0);
    const bad = list.find((k) => k !== 'image' && k !== 'text' && k !== 'video');
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown kind "${bad}" (image, text or video)` });
      return z.NEVER;
    }
    return list as ('image' | 'text' | 'video')[];
  });

export const filterSchema = z
  .object({
    pathPrefix: z.string().min(1).max(1000).optional(),
    formats: formats.optional(),
    minSize: nonNegative.optional(),
    maxSize: nonNegative.optional(),
    modifiedAfter: dateMs.optional(),
    modifiedBefore: dateMs.optional(),
    minWidth: nonNegative.optional(),
    maxWidth: nonNegative.optional(),
    minHeight: nonNegative.optional(),
    maxHeight: nonNegative.optional(),
    /** Only items carrying every one of these stored tags (array, or comma-separated in a query string). */
    tags: tags.optional(),
    /** Issue 14: only these kinds (image, video for target image; text). */
    kinds: kinds.optional(),
    takenAfter: dateMs.optional(),
    takenBefore: dateMs.optional(),
    camera: z.string().trim().min(1).max(200).optional(),
    keywords: keywordList.optional(),
    near: nearSchema.optional(),
  })
  .strict();

const minScore = z.union([
  z.literal('auto'),
  z.coerce
    .number()
    .min(-1, 'minScore is a cosine: from -1 to 1')
    .max(1, 'minScore is a cosine: from -1 to 1'),
]);

const rerankK = z.number().int('rerank k must be a whole number').min(1).max(MAX_RERANK_K);
/** `rerank`: true | false | {k} in JSON; 'true' | 'false' | '1' | a number k in query strings and form fields. */
const rerank = z
  .union([
    z.boolean(),
    z.object({ k: rerankK.optional() }).strict(),
    z.enum(['true', 'false', '1', '0', '']).transform((s) => s !== 'false' && s !== '0'),
    z
      .string()
      .regex(/^\d+$/, 'rerank is true, false or a number k')
      .transform(Number)
      .pipe(rerankK)
      .transform((k) => ({ k })),
  ])
  .transform((v): { k?: number } | undefined =>
    v === false ? undefined : v === true || v.k === undefined ? {} : { k: v.k },
  );

/** Options shared by every way of asking (query string, JSON, multipart fields). */
export const searchOptionsSchema = z.object({
  target: z.enum(['image', 'text']).default('image'),
  k: z.coerce.number().int('k must be a whole number').min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  // Re-ranked searches carry their re-ranked window (8 bytes per hit) in the cursor.
  cursor: z.string().min(1).max(4096).optional(),
  rerank: rerank.optional(),
  minScore: minScore.optional(),
  sort: z.enum(['score', 'date', 'taken']).default('score'),
  /** hybrid (default): words also match names, captions and metadata; vector: pixels only; keyword: words only. */
  mode: z.enum(['hybrid', 'vector', 'keyword']).default('hybrid'),
  /** Hybrid fusion: rrf (default, k = 60) or convex (weight `alpha` on the vector leg). */
  fusion: z.enum(['rrf', 'convex']).optional(),
  alpha: z.coerce.number().min(0).max(1).optional(),
  /** 'near': one hit per near-duplicate group. */
  collapse: z.enum(['near']).optional(),
});

const weight = z
  .number()
  .finite()
  .refine((w) => w !== 0, 'a weight of 0 does nothing; leave the term out')
  .default(1);
/** A base64 image, with or without a `data:image/…;base64,` prefix. */
export const base64Image = z
  .string()
  .min(8)
  .transform((s) => s.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, ''))
  .refine((s) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(s), 'image must be base64')
  .transform((s) => new Uint8Array(Buffer.from(s, 'base64')));

export const termSchema = z.union([
  z.object({ text: queryText('text'), weight }).strict(),
  z.object({ itemId: z.number().int().positive(), weight }).strict(),
  z.object({ image: base64Image, weight }).strict(),
  z.object({ vector: z.array(z.number().finite()).min(1).max(8192), weight }).strict(),
]);

/** POST /api/search as JSON. */
export const searchBodySchema = searchOptionsSchema
  .extend({
    q: queryText('q').optional(),
    image: base64Image.optional(),
    terms: z.array(termSchema).min(1).max(MAX_TERMS).optional(),
    filter: filterSchema.optional(),
  })
  .strict()
  .refine((b) => b.q !== undefined || b.image !== undefined || b.terms !== undefined, {
    message: 'give q (words), image (base64) or terms',
  });

/**
 * GET /api/search: flat query-string parameters, filters included. Strict like the JSON body: an
 * unknown parameter (a misspelt filter) is a 400, not a silently unfiltered answer.
 */
export const searchQuerySchema = searchOptionsSchema
  .extend({
    q: z
      .string({
        error: (iss) =>
          iss.input === undefined ? 'missing q (the words to search for)' : 'q must be one string',
      })
      .trim()
      .min(1, 'q must not be empty')
      .max(MAX_QUERY_CHARS, tooLong('q')),
    ...filterSchema.shape,
  })
  .strict();

/** Options for requests that carry the query elsewhere (upload, item id): no q required. */
export const searchOptionsQuerySchema = searchOptionsSchema
  .extend({
    q: queryText('q').optional(),
    ...filterSchema.shape,
  })
  .strict();

/** Multipart fields: everything is a string; filter and terms may come as JSON text. */
export const searchFieldsSchema = searchOptionsQuerySchema.extend({
  terms: z.string().max(100_000).optional(),
  filter: z.string().max(10_000).optional(),
});
