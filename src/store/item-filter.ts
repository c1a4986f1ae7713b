/**
 * Turns an ItemFilter into a SQL WHERE clause over `items`, with bound parameters only.
 * A path prefix may be absolute (matched against each root's absolute path) or relative
 * (matched against uris under every root).
 */
import path from 'node:path';
import { EngineError } from '../errors.ts';
import type { ItemFilter, ItemKind, Root, SearchKind, StoredKind } from './library.types.ts';

export interface SqlWhere {
  readonly sql: string;
  readonly params: (string | number)[];
}

/**
 * Capture date (a photo's under `photo`, a video's and its shots' at the top level), else mtime.
 * No expression index: one made every batch write ~15× more bytes (measured on a 20k-item
 * library) and the filter scans `items` anyway.
 */
export const TAKEN_AT_SQL =
  "coalesce(json_extract(metadata, '$.photo.takenAtMs'), json_extract(metadata, '$.takenAtMs'), mtime_ms)";

export function isEmptyFilter(filter: ItemFilter | undefined): boolean {
  return !filter || Object.values(filter).every((value) => value === undefined);
}

/**
 * `rows` says which rows of a vector space are filtered: the ones holding vectors (a video is
 * found by its shots) or the ones holding keyword documents (a video has one, its shots none).
 */
export function filterToSql(
  kind: ItemKind,
  filter: ItemFilter,
  roots: readonly Root[],
  rows: 'vectors' | 'documents' = 'vectors',
): SqlWhere {
  const inSpace = storedKinds(kind, filter.kinds);
  const stored = rows === 'vectors' ? inSpace : inSpace.map((k) => (k === 'shot' ? 'video' : k));
  if (stored.length === 0) return { sql: '0', params: [] };
  const clauses = [`kind IN (${stored.map(() => '?').join(', ')})`, "status = 'indexed'"];
  const params: (string | number)[] = [...stored];
  const range = (
    column: string,
    op: '>=' | '<=' | '>' | '<',
    value: number | undefined,
    name: string,
  ): void => {
    if (value === undefined) return;
    if (!Number.isFinite(value)) {
      throw new EngineError('INVALID_INPUT', `filter.${name} must be a finite number`);
    }
    clauses.push(`${column} ${op} ?`);
    params.push(value);
  };
  range('size', '>=', filter.minSize, 'minSize');
  range('size', '<=', filter.maxSize, 'maxSize');
  range('mtime_ms', '>', filter.modifiedAfter, 'modifiedAfter');
  range('mtime_ms', '<', filter.modifiedBefore, 'modifiedBefore');
  range('width', '>=', filter.minWidth, 'minWidth');
  range('width', '<=', filter.maxWidth, 'maxWidth');
  range('height', '>=', filter.minHeight, 'minHeight');
  range('height', '<=', filter.maxHeight, 'maxHeight');
  range(TAKEN_AT_SQL, '>', filter.takenAfter, 'takenAfter');
  range(TAKEN_AT_SQL, '<', filter.takenBefore, 'takenBefore');
  if (filter.camera !== undefined && filter.camera.trim() !== '') {
    clauses.push("instr(lower(coalesce(json_extract(metadata, '$.photo.camera'), '')), ?) > 0");
    params.push(filter.camera.trim().toLowerCase());
  }
  for (const keyword of filter.keywords ?? []) {
    clauses.push(
      "EXISTS (SELECT 1 FROM json_each(items.metadata, '$.photo.keywords') WHERE lower(json_each.value) = ?)",
    );
    params.push(keyword.trim().toLowerCase());
  }
  if (filter.near !== undefined) {
    const { lat, lon, km } = filter.near;
    if (!(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180) || !(km > 0) || !Number.isFinite(km)) {
      throw new EngineError('INVALID_INPUT', 'filter.near needs lat (−90…90), lon (−180…180) and km > 0');
    }
    clauses.push(
      "geo_km(json_extract(metadata, '$.photo.gps.lat'), json_extract(metadata, '$.photo.gps.lon'), ?, ?) <= ?",
    );
    params.push(lat, lon, km);
  }
  if (filter.formats !== undefined) {
    if (filter.formats.length === 0) return { sql: '0', params: [] };
    clauses.push(`lower(format) IN (${filter.formats.map(() => '?').join(', ')})`);
    params.push(...filter.formats.map((format) => normaliseFormat(format)));
  }
  if (filter.tags !== undefined) {
    // Every listed tag (the items that carry all of them).
    for (const tag of filter.tags) {
      clauses.push('id IN (SELECT item_id FROM item_tags WHERE label = ?)');
      params.push(tag);
    }
  }
  if (filter.pathPrefix !== undefined && filter.pathPrefix !== '') {
    const where = prefixToSql(filter.pathPrefix, roots);
    clauses.push(where.sql);
    params.push(...where.params);
  }
  return { sql: clauses.join(' AND '), params };
}

/** Format names a filter may ask for (decoder names plus the usual extensions for them). */
export const FILTER_FORMATS: readonly string[] = Object.freeze([
  'jpeg',
  'jpg',
  'png',
  'webp',
  'avif',
  'gif',
  'tiff',
  'tif',
  'svg',
  'heif',
  'heic',
  'bmp',
  'jp2',
  'jxl',
]);

export function isFilterFormat(format: string): boolean {
  return FILTER_FORMATS.includes(format.toLowerCase().replace(/^\./, ''));
}

/** Item kinds living in a vector space, narrowed by a `kinds` filter (videos are found by their shots). */
export function storedKinds(space: ItemKind, kinds: readonly SearchKind[] | undefined): StoredKind[] {
  const inSpace: StoredKind[] = space === 'text' ? ['text'] : ['image', 'shot'];
  if (kinds === undefined) return inSpace;
  const wanted = new Set<StoredKind>(kinds.map((k) => (k === 'video' ? 'shot' : k)));
  return inSpace.filter((k) => wanted.has(k));
}

function normaliseFormat(format: string): string {
  const lower = format.toLowerCase().replace(/^\./, '');
  return lower === 'jpg' ? 'jpeg' : lower === 'tif' ? 'tiff' : lower;
}

function prefixToSql(prefix: string, roots: readonly Root[]): SqlWhere {
  // substr comparison instead of LIKE: paths may contain % and _.
  const uriStartsWith = (rel: string): SqlWhere => ({
    sql: 'substr(uri, 1, ?) = ?',
    params: [rel.length, rel],
  });
  if (!path.isAbsolute(prefix)) return uriStartsWith(prefix.split(path.sep).join('/').replace(/^\.\//, ''));
  const wanted = path.resolve(prefix);
  const parts: SqlWhere[] = [];
  for (const root of roots) {
    const rel = path.relative(root.path, wanted);
    if (rel === '' || (wanted.length < root.path.length && root.path.startsWith(wanted))) {
      parts.push({ sql: 'root_id = ?', params: [root.id] });
    } else if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
      const sub = uriStartsWith(rel.split(path.sep).join('/') + (prefix.endsWith('/') ? '/' : ''));
      parts.push({ sql: `(root_id = ? AND ${sub.sql})`, params: [root.id, ...sub.params] });
    }
  }
  if (parts.length === 0) return { sql: '0', params: [] };
  return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
}
