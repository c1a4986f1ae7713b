/**
 * Prepared statements over `items` and `pairs`, and the one row → Item mapping.
 * No business rules here; write-batch.ts decides what a batch means.
 */
import type { Item, ItemStatus, ItemWrite, StatusCounts, StoredKind } from './library.types.ts';
import type { Db, Statement } from './database.ts';

export interface ItemRow {
  id: number;
  kind: StoredKind;
  root_id: number | null;
  uri: string;
  content_hash: string | null;
  size: number | null;
  mtime_ms: number | null;
  width: number | null;
  height: number | null;
  format: string | null;
  text: string | null;
  metadata: string | null;
  status: ItemStatus;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export function rowToItem(row: ItemRow): Item {
  return {
    id: row.id,
    kind: row.kind,
    rootId: row.root_id,
    uri: row.uri,
    contentHash: row.content_hash,
    size: row.size,
    mtimeMs: row.mtime_ms,
    width: row.width,
    height: row.height,
    format: row.format,
    text: row.text,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const COLUMNS =
  'id, kind, root_id, uri, content_hash, size, mtime_ms, width, height, format, text, metadata, status, error, created_at, updated_at';
/** Placeholders for the writable columns, shared by insert and update. */
const FIELDS =
  'content_hash = @contentHash, size = @size, mtime_ms = @mtimeMs, width = @width, height = @height, format = @format, text = @text, metadata = @metadata, status = @status, error = @error, updated_at = @now';

export type ItemParams = ReturnType<typeof toParams>;

/** Params of an item row; videos and shots are written through this too (write-video.ts). */
export function toParams(write: Omit<ItemWrite, 'kind'> & { readonly kind: StoredKind }, now: number) {
  return {
    kind: write.kind,
    rootId: write.rootId,
    uri: write.uri,
    contentHash: write.contentHash ?? null,
    size: write.size ?? null,
    mtimeMs: write.mtimeMs ?? null,
    width: write.width ?? null,
    height: write.height ?? null,
    format: write.format ?? null,
    text: write.text ?? null,
    metadata: write.metadata ? JSON.stringify(write.metadata) : null,
    status: write.status as ItemStatus,
    error: write.error ?? null,
    now,
  };
}

export class ItemRepository {
  readonly byId: Statement<[number], ItemRow>;
  /** The live item at a place, else the most recently deleted one (which a rewrite revives). */
  readonly byPlace: Statement<{ rootId: number | null; uri: string }, ItemRow>;
  readonly byHash: Statement<[StoredKind, string], ItemRow>;
  readonly byRootPage: Statement<[number, number, number], ItemRow>;
  readonly failed: Statement<[number], ItemRow>;
  readonly countByStatus: Statement<[StoredKind], { status: ItemStatus; n: number }>;
  readonly linked: Statement<[number, number], ItemRow>;
  readonly insert: Statement<ItemParams, { id: number }>;
  readonly update: Statement<ItemParams & { id: number }>;
  readonly setPlace: Statement<{
    id: number;
    rootId: number | null;
    uri: string;
    mtimeMs: number | null;
    keepMtime: number;
    status: ItemStatus;
    now: number;
  }>;
  readonly setStatus: Statement<{ id: number; status: ItemStatus; now: number }>;
  readonly insertPair: Statement<[number, number]>;
  readonly fullText: Statement<[string, number], ItemRow>;

  constructor(db: Db) {
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM items WHERE id = ?`);
    this.byPlace = db.prepare(
      `SELECT ${COLUMNS} FROM items WHERE coalesce(root_id, 0) = coalesce(@rootId, 0) AND uri = @uri
       ORDER BY status = 'deleted', updated_at DESC, id DESC LIMIT 1`,
    );
    this.byHash = db.prepare(
      `SELECT ${COLUMNS} FROM items WHERE kind = ? AND content_hash = ? AND status IN ('indexed', 'deleted') ORDER BY id`,
    );
    this.byRootPage = db.prepare(
      `SELECT ${COLUMNS} FROM items WHERE root_id = ? AND id > ? AND status <> 'deleted' ORDER BY id LIMIT ?`,
    );
    this.failed = db.prepare(
      `SELECT ${COLUMNS} FROM items WHERE status = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ?`,
    );
    this.countByStatus = db.prepare('SELECT status, count(*) AS n FROM items WHERE kind = ? GROUP BY status');
    this.linked = db.prepare(
      `SELECT ${COLUMNS} FROM items WHERE id IN (SELECT text_id FROM pairs WHERE image_id = ? UNION SELECT image_id FROM pairs WHERE text_id = ?) AND status <> 'deleted' ORDER BY id`,
    );
    this.insert = db.prepare(
      `INSERT INTO items (kind, root_id, uri, content_hash, size, mtime_ms, width, height, format, text, metadata, status, error, created_at, updated_at)
       VALUES (@kind, @rootId, @uri, @contentHash, @size, @mtimeMs, @width, @height, @format, @text, @metadata, @status, @error, @now, @now) RETURNING id`,
    );
    this.update = db.prepare(`UPDATE items SET ${FIELDS} WHERE id = @id`);
    this.setPlace = db.prepare(
      `UPDATE items SET root_id = @rootId, uri = @uri, mtime_ms = CASE WHEN @keepMtime THEN mtime_ms ELSE @mtimeMs END,
       status = @status, error = NULL, updated_at = @now WHERE id = @id`,
    );
    this.setStatus = db.prepare('UPDATE items SET status = @status, updated_at = @now WHERE id = @id');
    this.insertPair = db.prepare('INSERT OR IGNORE INTO pairs (image_id, text_id) VALUES (?, ?)');
    this.fullText = db.prepare(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `items.${c}`)
        .join(', ')} FROM items_fts JOIN items ON items.id = items_fts.rowid
       WHERE items_fts MATCH ? AND items.status <> 'deleted' ORDER BY items_fts.rank LIMIT ?`,
    );
  }

  counts(kind: StoredKind): StatusCounts {
    const counts = { indexed: 0, failed: 0, pending: 0, deleted: 0 };
    for (const row of this.countByStatus.all(kind)) counts[row.status] = row.n;
    return counts;
  }
}
