/**
 * The OpenAPI 3.1 description of every route, served at GET /openapi.json. Request bodies come
 * from the same zod schemas that validate them, so the document cannot drift from the code.
 */
import { z } from 'zod';
import { classifyBodySchema } from './routes/classify.routes.ts';
import { hitViewSchema, itemViewSchema } from './schemas/hit.schema.ts';
import {
  searchBodySchema,
  searchOptionsQuerySchema,
  searchOptionsSchema,
  searchQuerySchema,
} from './schemas/search.schema.ts';

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ 'application/json': { schema } });
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [String(s), { description: `error (${s})`, content: json(ref('Error')) }]),
  );
const q = (name: string, description: string, schema: Json = { type: 'string' }, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };

/** What each query parameter means; its type, bounds and default come from the zod schema itself. */
const PARAM_NOTES: Readonly<Record<string, string>> = {
  q: 'the words',
  target: 'modality of the results',
  k: 'page size',
  cursor: 'nextCursor of the previous page',
  minScore: "cosine cut-off from -1 to 1, or 'auto' (where the scores drop off)",
  sort: 'order of the relevant set: score; date (file mtime, newest first); taken (capture date, else mtime, then relevance)',
  collapse: "'near': one hit per near-duplicate group",
  rerank:
    "second stage: 'true' re-ranks the first-stage top 32 with the model's image–text matching stage, a number re-ranks that many",
  pathPrefix: 'only items under this relative path',
  formats: 'comma-separated image formats, e.g. jpeg,png',
  minSize: 'bytes',
  maxSize: 'bytes',
  minWidth: 'pixels',
  maxWidth: 'pixels',
  minHeight: 'pixels',
  maxHeight: 'pixels',
  modifiedAfter: 'epoch ms or ISO date',
  modifiedBefore: 'epoch ms or ISO date',
  tags: 'comma-separated stored tags; only items carrying every one',
  kinds: 'comma-separated kinds: image,video (target image; default both) or text',
  mode: 'hybrid (default): words also match file names, folders, captions and photo metadata (FTS5), fused with the vectors; vector; keyword',
  fusion:
    'hybrid fusion: rrf (reciprocal rank, k = 60, default) or convex (alpha · vector + (1 − alpha) · keyword)',
  alpha: 'convex weight of the vector leg, 0…1',
  takenAfter: 'capture date (EXIF/XMP/IPTC, else mtime) after: epoch ms or ISO date',
  takenBefore: 'capture date before: epoch ms or ISO date',
  camera: 'camera make/model contains this (case-insensitive)',
  keywords: 'comma-separated embedded keywords the item must all carry',
  near: '"lat,lon,km": taken within km of the point (items without GPS never match)',
};

/** Query parameters generated from the zod schema that validates them: the document cannot drift from the code. */
function queryParams(schema: z.ZodObject): Json[] {
  const json = schemaOf(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    description: PARAM_NOTES[name] ?? name,
    schema: property,
  }));
}
const searchParams = queryParams(searchOptionsQuerySchema);
const searchResponse = { '200': { description: 'one page of hits', content: json(ref('SearchPage')) } };
const uploadBodies = (jsonSchema: Json) => ({
  required: true,
  content: {
    ...json(jsonSchema),
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: { image: { type: 'string', format: 'binary' } },
        additionalProperties: { type: 'string' },
      },
    },
    'image/*': { schema: { type: 'string', format: 'binary' } },
  },
});

export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'clipdex',
      version,
      description:
        'Cross-modal search over a photo and text library, fused with a keyword index over names, captions and photo metadata. All routes are read-only; ' +
        'routes that change a library (none yet) require an API key (x-api-key or Authorization: Bearer).',
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                requestId: { type: 'string' },
              },
            },
          },
        },
        Item: schemaOf(itemViewSchema),
        Hit: schemaOf(hitViewSchema),
        SearchPage: {
          type: 'object',
          properties: {
            target: { type: 'string' },
            results: { type: 'array', items: ref('Hit') },
            nextCursor: { type: ['string', 'null'] },
            tookMs: { type: 'number' },
            rerank: {
              type: ['object', 'null'],
              description: 'present when the second stage ran',
              properties: {
                stage: { type: 'string' },
                k: { type: 'integer' },
                reranked: { type: 'integer' },
              },
            },
          },
        },
        SearchBody: schemaOf(searchBodySchema),
        ClassifyBody: schemaOf(classifyBodySchema),
      },
    },
    paths: {
      '/api/search': {
        get: {
          summary: 'Search by words',
          parameters: queryParams(searchQuerySchema),
          responses: { ...searchResponse, ...errors(400, 503) },
        },
        post: {
          summary: 'Search by words, a photo, items or a weighted mix (negative weights push away)',
          parameters: queryParams(searchOptionsSchema),
          requestBody: uploadBodies(ref('SearchBody')),
          responses: { ...searchResponse, ...errors(400, 404, 413, 415, 422, 503) },
        },
      },
      '/api/items/{id}': {
        get: {
          summary: 'An item with its linked captions or images',
          parameters: [idParam],
          responses: {
            '200': { description: 'the item', content: json({ type: 'object' }) },
            ...errors(400, 404),
          },
        },
      },
      '/api/items/{id}/file': {
        get: {
          summary: 'The original file (images) or text (texts), by id only',
          parameters: [idParam],
          responses: {
            '200': { description: 'the bytes', content: { 'image/*': {}, 'video/*': {}, 'text/plain': {} } },
            '206': {
              description: 'a byte range (Range header; video seeking)',
              content: { 'video/*': {}, 'image/*': {} },
            },
            ...errors(400, 404),
          },
        },
      },
      '/api/items/{id}/thumbnail': {
        get: {
          summary: 'A cached thumbnail of an image item',
          parameters: [
            idParam,
            q('size', 'longest side in pixels', {
              type: 'integer',
              minimum: 32,
              maximum: 1024,
              default: 256,
            }),
          ],
          responses: {
            '200': { description: 'thumbnail', content: { 'image/*': {} } },
            '304': { description: 'not modified' },
            ...errors(400, 404),
          },
        },
      },
      '/api/items/{id}/shots': {
        get: {
          summary: "A video's shots (start, end, keyframe thumbnail), each scored against q when given",
          parameters: [idParam, q('q', 'words to score the shots against')],
          responses: {
            '200': { description: 'the video and its shots', content: { 'application/json': {} } },
            ...errors(400, 404),
          },
        },
      },
      '/api/items/{id}/similar': {
        get: {
          summary: 'Items nearest to this one, in either modality',
          parameters: [idParam, ...searchParams],
          responses: { ...searchResponse, ...errors(400, 404) },
        },
      },
      '/api/duplicates': {
        get: {
          summary:
            'Duplicate groups in three tiers: exact (same bytes), near (the same picture), similar (not duplicates)',
          parameters: [
            q('tier', 'only this tier', { type: 'string', enum: ['exact', 'near', 'similar'] }),
            q('cursor', 'nextCursor of the previous page'),
            q('k', 'groups per page', { type: 'integer', minimum: 1, maximum: 200, default: 50 }),
          ],
          responses: {
            '200': {
              description:
                '{groups: [{tier, keep, reason, items: [{id, uri, width, height, size, distance, thumbnailUrl}]}], total, images, withoutHash, withoutFingerprint, nextCursor}',
              content: json({ type: 'object' }),
            },
            ...errors(400),
          },
        },
      },
      '/api/classify': {
        post: {
          summary: 'Zero-shot classification of a photo or item against labels',
          requestBody: uploadBodies(ref('ClassifyBody')),
          responses: {
            '200': {
              description: 'label probabilities, most likely first',
              content: json({ type: 'object' }),
            },
            ...errors(400, 404, 413, 415),
          },
        },
      },
      '/health': {
        get: {
          summary: 'Model, execution provider and library state',
          responses: { '200': { description: 'healthy' }, ...errors(503) },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'text exposition format' } },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
  };
}
