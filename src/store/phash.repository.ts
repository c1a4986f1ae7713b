/**
 * Prepared statements over `image_phash` (one perceptual hash per decoded image) and the image
 * listing duplicate search walks. No business rules: write-batch.ts decides when hashes change.
 */
import type { Db, Statement } from './database.ts';
import type { ImageSignature } from './library.types.ts';

interface SignatureRow {
  id: number;
  uri: string;
  content_hash: string | null;
  phash: string | null;
  has_fingerprint: number;
  width: number | null;
  height: number | null;
  size: number | null;
  format: string | null;
  mtime_ms: number | null;
  taken_at_ms: number | null;
}

export class PhashRepository {
  readonly put: Statement<[number, string]>;
  readonly remove: Statement<[number]>;
  /** Gives an item the hash of another live item with the same bytes, if it has none yet. */
  readonly copyFromTwin: Statement<{ id: number; contentHash: string }>;
  readonly putFingerprint: Statement<[number, Uint8Array]>;
  readonly removeFingerprint: Statement<[number]>;
  readonly copyFingerprintFromTwin: Statement<{ id: number; contentHash: string }>;
  private readonly pageStmt: Statement<[number, number], SignatureRow>;
  private readonly missingStmt: Statement<[number, number], { id: number }>;

  constructor(private readonly db: Db) {
    this.put = db.prepare(
      'INSERT INTO image_phash (item_id, phash) VALUES (?, ?) ON CONFLICT (item_id) DO UPDATE SET phash = excluded.phash',
    );
    this.remove = db.prepare('DELETE FROM image_phash WHERE item_id = ?');
    this.copyFromTwin = db.prepare(
      `INSERT OR IGNORE INTO image_phash (item_id, phash)
       SELECT @id, p.phash FROM items i JOIN image_phash p ON p.item_id = i.id
       WHERE i.kind = 'image' AND i.content_hash = @contentHash AND i.id <> @id LIMIT 1`,
    );
    this.putFingerprint = db.prepare(
      'INSERT INTO image_fingerprint (item_id, fingerprint) VALUES (?, ?) ON CONFLICT (item_id) DO UPDATE SET fingerprint = excluded.fingerprint',
    );
    this.removeFingerprint = db.prepare('DELETE FROM image_fingerprint WHERE item_id = ?');
    this.copyFingerprintFromTwin = db.prepare(
      `INSERT OR IGNORE INTO image_fingerprint (item_id, fingerprint)
       SELECT @id, f.fingerprint FROM items i JOIN image_fingerprint f ON f.item_id = i.id
       WHERE i.kind = 'image' AND i.content_hash = @contentHash AND i.id <> @id LIMIT 1`,
    );
    this.missingStmt = db.prepare(
      `SELECT i.id FROM items i
       WHERE i.kind = 'image' AND i.status = 'indexed' AND i.id > ?
         AND (NOT EXISTS (SELECT 1 FROM image_phash p WHERE p.item_id = i.id)
              OR NOT EXISTS (SELECT 1 FROM image_fingerprint f WHERE f.item_id = i.id))
       ORDER BY i.id LIMIT ?`,
    );
    this.pageStmt = db.prepare(
      `SELECT i.id, i.uri, i.content_hash, p.phash, f.item_id IS NOT NULL AS has_fingerprint,
              i.width, i.height, i.size, i.format, i.mtime_ms,
              json_extract(i.metadata, '$.photo.takenAtMs') AS taken_at_ms
       FROM items i LEFT JOIN image_phash p ON p.item_id = i.id
       LEFT JOIN image_fingerprint f ON f.item_id = i.id
       WHERE i.kind = 'image' AND i.status = 'indexed' AND i.id > ? ORDER BY i.id LIMIT ?`,
    );
  }

  page(afterId: number, limit: number): ImageSignature[] {
    return this.pageStmt.all(afterId, limit).map((r) => ({
      id: r.id,
      uri: r.uri,
      contentHash: r.content_hash,
      phash: r.phash,
      hasFingerprint: r.has_fingerprint === 1,
      width: r.width,
      height: r.height,
      size: r.size,
      format: r.format,
      mtimeMs: r.mtime_ms,
      takenAtMs: r.taken_at_ms,
    }));
  }

  /** Indexed images lacking a perceptual hash or a fingerprint (indexed before they existed). */
  missing(afterId: number, limit: number): number[] {
    return this.missingStmt.all(afterId, limit).map((r) => r.id);
  }

  fingerprintsByIds(ids: readonly number[]): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT item_id, fingerprint FROM image_fingerprint WHERE item_id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(...chunk) as { item_id: number; fingerprint: Buffer }[];
      for (const r of rows) {
        out.set(
          r.item_id,
          new Uint8Array(r.fingerprint.buffer, r.fingerprint.byteOffset, r.fingerprint.length),
        );
      }
    }
    return out;
  }

  byIds(ids: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT item_id, phash FROM image_phash WHERE item_id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(...chunk) as { item_id: number; phash: string }[];
      for (const r of rows) out.set(r.item_id, r.phash);
    }
    return out;
  }
}
