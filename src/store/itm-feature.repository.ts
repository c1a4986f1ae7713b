/** Prepared statements over `itm_features`: the re-ranking stage's per-image states (BLOBs). */
import type { Db, Statement } from './database.ts';

export class ItmFeatureRepository {
  private readonly putStmt: Statement<{ itemId: number; stageId: string; features: Buffer }>;
  private readonly getStmt: Statement<[number, string], { features: Buffer }>;
  private readonly countStmt: Statement<[string], { n: number }>;

  constructor(db: Db) {
    this.putStmt = db.prepare(
      `INSERT INTO itm_features (item_id, stage_id, features) VALUES (@itemId, @stageId, @features)
       ON CONFLICT (item_id, stage_id) DO UPDATE SET features = excluded.features`,
    );
    this.getStmt = db.prepare('SELECT features FROM itm_features WHERE item_id = ? AND stage_id = ?');
    this.countStmt = db.prepare('SELECT count(*) AS n FROM itm_features WHERE stage_id = ?');
  }

  put(itemId: number, stageId: string, features: Uint8Array): void {
    this.putStmt.run({
      itemId,
      stageId,
      features: Buffer.from(features.buffer, features.byteOffset, features.byteLength),
    });
  }

  /** Stored states of the given items (ids without a row are absent from the map). */
  getMany(stageId: string, ids: readonly number[]): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const id of ids) {
      const row = this.getStmt.get(id, stageId);
      if (row) out.set(id, new Uint8Array(row.features));
    }
    return out;
  }

  count(stageId: string): number {
    return this.countStmt.get(stageId)?.n ?? 0;
  }
}
