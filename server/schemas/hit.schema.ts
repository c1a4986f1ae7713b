/**
 * The JSON shape of items and hits as zod schemas, for the OpenAPI document. `item-view.ts` builds the
 * values; the compile-time checks below fail when a field is added to (or dropped from) ItemView or
 * HitView without the same change here, so the document cannot drift from what the routes send.
 */
import { z } from 'zod';
import type { Item } from '../../src/store/library.types.ts';
import type { HitView, ItemView } from '../routes/item-view.ts';

const KINDS = ['image', 'text', 'video', 'shot'] as const satisfies readonly Item['kind'][];

export const itemViewSchema = z.object({
  id: z.number().int(),
  kind: z.enum(KINDS),
  uri: z.string(),
  text: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  format: z.string().nullable(),
  size: z.number().int().nullable(),
  modifiedAt: z.string().nullable().describe('ISO 8601, from the file mtime; null for texts with no file'),
  thumbnailUrl: z.string().nullable().describe('images only; the v parameter changes when the file does'),
  fileUrl: z.string(),
  takenAt: z
    .string()
    .nullable()
    .describe('capture date, ISO 8601 (with its offset when the file gives one); the mtime when it has none'),
  takenAtSource: z
    .enum(['exif', 'xmp', 'iptc', 'video', 'file'])
    .nullable()
    .describe(
      "where takenAt came from: the photo's EXIF, XMP or IPTC, the video container's creation date (video), or the file's mtime (file)",
    ),
  camera: z.string().nullable(),
  gps: z.object({ lat: z.number(), lon: z.number() }).nullable(),
  keywords: z.array(z.string()).describe('embedded IPTC/XMP keywords'),
  description: z.string().nullable().describe('embedded description or caption'),
});

export const hitViewSchema = itemViewSchema.extend({
  score: z
    .number()
    .describe(
      'the number the list is ranked by: the fused score in hybrid mode when words matched, else the cosine (vector) or BM25 (keyword); for re-ranked hits itm + the dual-encoder logit',
    ),
  scores: z
    .object({
      vector: z.number().nullable().optional(),
      keyword: z.number().nullable().optional(),
      fused: z.number().nullable().optional(),
      itm: z.number().optional(),
    })
    .describe(
      'vector (cosine) and keyword (BM25) legs, null where a leg did not return the hit; fused; re-ranked hits add itm (image–text matching logit)',
    ),
  matched: z
    .array(z.string())
    .describe(
      'keyword fields the words matched: name, folders, captions, keywords, title, description, people, camera',
    ),
  linkedImage: z
    .object({ id: z.number().int(), uri: z.string(), thumbnailUrl: z.string() })
    .nullable()
    .describe('for a caption: the image it describes'),
  tags: z
    .array(z.object({ label: z.string(), score: z.number() }))
    .describe('stored zero-shot tags, most probable first'),
  start: z.number().optional().describe("videos: the best shot's start, in seconds"),
  end: z.number().optional().describe("videos: the best shot's end, in seconds"),
  shotId: z.number().int().optional().describe("videos: the best shot's item id"),
});

// Same keys, both ways: a new HitView field without its schema (or the reverse) does not compile.
type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : false;
const itemKeysMatch: SameKeys<ItemView, z.output<typeof itemViewSchema>> = true;
const hitKeysMatch: SameKeys<HitView, z.output<typeof hitViewSchema>> = true;
void [itemKeysMatch, hitKeysMatch];
// Item kinds too: a new kind must be listed in KINDS.
const kindsMatch: [Exclude<Item['kind'], (typeof KINDS)[number]>] extends [never] ? true : false = true;
void kindsMatch;
