/**
 * Prepared statements over `vectors`, the source of truth the HNSW graphs are derived from.
 * Vectors are stored as little-endian float32 BLOBs.
 */
import type { ItemKind } from './library.types.ts';
import type { Db, Statement } from './database.ts';

export interface VectorOp {
  readonly itemId: number;
  readonly kind: ItemKind;
  readonly seq: number;
  readonly live: boolean;
  readonly vector: Float32Array;
}

interface VectorRow {
  item_id: number;
  kind: ItemKind;
  seq: number;
  live: number;
  vector: Buffer;
}

export function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Copies, because SQLite's buffer need not be 4-byte aligned for a Float32Array view. */
export function fromBlob(blob: Buffer): Float32Array {
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

function rowToOp(row: VectorRow): VectorOp {
  return {
    itemId: row.item_id,
    kind: row.kind,
    seq: row.seq,
    live: row.live === 1,
    vector: fromBlob(row.vector),
  };
}

export class VectorRepository {
  private readonly upsertStmt: Statement<{
    itemId: number;
    kind: ItemKind;
    seq: number;
    live: number;
    vector: Buffer;
  }>;
  private readonly setLiveStmt: Statement<{ itemId: number; seq: number; live: number }>;
  private readonly getStmt: Statement<[number], VectorRow>;
  private readonly sinceStmt: Statement<[number], VectorRow>;
  private readonly liveOfKindStmt: Statement<[ItemKind], VectorRow>;
  private readonly liveCountStmt: Statement<[ItemKind], { n: number }>;
  private readonly liveIdsStmt: Statement<[ItemKind], { item_id: number; seq: number }>;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO vectors (item_id, kind, seq, live, vector) VALUES (@itemId, @kind, @seq, @live, @vector)
       ON CONFLICT (item_id) DO UPDATE SET kind = excluded.kind, seq = excluded.seq, live = excluded.live, vector = excluded.vector`,
    );
    this.setLiveStmt = db.prepare('UPDATE vectors SET live = @live, seq = @seq WHERE item_id = @itemId');
    this.getStmt = db.prepare('SELECT item_id, kind, seq, live, vector FROM vectors WHERE item_id = ?');
    this.sinceStmt = db.prepare(
      'SELECT item_id, kind, seq, live, vector FROM vectors WHERE seq > ? ORDER BY seq',
    );
    this.liveOfKindStmt = db.prepare(
      'SELECT item_id, kind, seq, live, vector FROM vectors WHERE kind = ? AND live = 1 ORDER BY item_id',
    );
    this.liveCountStmt = db.prepare('SELECT count(*) AS n FROM vectors WHERE kind = ? AND live = 1');
    this.liveIdsStmt = db.prepare(
      'SELECT item_id, seq FROM vectors WHERE kind = ? AND live = 1 ORDER BY item_id',
    );
  }

  put(itemId: number, kind: ItemKind, seq: number, vector: Float32Array): void {
    this.upsertStmt.run({ itemId, kind, seq, live: 1, vector: toBlob(vector) });
  }

  /** Returns whether the item had a vector whose liveness changed. */
  setLive(itemId: number, live: boolean, seq: number): boolean {
    const row = this.getStmt.get(itemId);
    if (!row || (row.live === 1) === live) return false;
    this.setLiveStmt.run({ itemId, seq, live: live ? 1 : 0 });
    return true;
  }

  get(itemId: number): VectorOp | undefined {
    const row = this.getStmt.get(itemId);
    return row ? rowToOp(row) : undefined;
  }

  /** Live vectors of the given ids (chunked to stay under SQLite's parameter limit). */
  getLive(ids: readonly number[]): Map<number, Float32Array> {
    const out = new Map<number, Float32Array>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT item_id, vector FROM vectors WHERE live = 1 AND item_id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(...chunk) as Pick<VectorRow, 'item_id' | 'vector'>[];
      for (const row of rows) out.set(row.item_id, fromBlob(row.vector));
    }
    return out;
  }

  /** Every change after `seq`, oldest first: what a graph saved at `seq` has not seen. */
  *since(seq: number): IterableIterator<VectorOp> {
    for (const row of this.sinceStmt.iterate(seq)) yield rowToOp(row);
  }

  *liveOfKind(kind: ItemKind): IterableIterator<VectorOp> {
    for (const row of this.liveOfKindStmt.iterate(kind)) yield rowToOp(row);
  }

  /** Ids and seqs of the live vectors of a kind, without the vectors (index-only scan). */
  *liveIds(kind: ItemKind): IterableIterator<{ itemId: number; seq: number }> {
    for (const row of this.liveIdsStmt.iterate(kind)) yield { itemId: row.item_id, seq: row.seq };
  }

  liveCount(kind: ItemKind): number {
    return this.liveCountStmt.get(kind)?.n ?? 0;
  }
}
