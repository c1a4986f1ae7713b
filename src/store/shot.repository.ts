/**
 * Prepared statements over `shots`: where each shot item sits in its video, and its keyframe
 * thumbnail. No business rules: write-batch.ts decides what a video write means.
 */
import type { Db, Statement } from './database.ts';
import type { Shot } from './library.types.ts';

interface ShotRow {
  item_id: number;
  video_id: number;
  position: number;
  start_s: number;
  end_s: number;
}

function rowToShot(row: ShotRow): Shot {
  return {
    id: row.item_id,
    videoId: row.video_id,
    position: row.position,
    start: row.start_s,
    end: row.end_s,
  };
}

const COLUMNS = 'shots.item_id, shots.video_id, shots.position, shots.start_s, shots.end_s';

export class ShotRepository {
  readonly put: Statement<{
    itemId: number;
    videoId: number;
    position: number;
    start: number;
    end: number;
    thumbnail: Buffer | null;
  }>;
  /** Every shot row of a video, deleted ones too (ids to reuse or retire). */
  private readonly allOfStmt: Statement<[number], ShotRow>;
  private readonly liveOfStmt: Statement<[number], ShotRow>;
  private readonly byIdStmt: Statement<[number], ShotRow>;
  private readonly byIdListStmt: Statement<[string], ShotRow>;
  private readonly thumbStmt: Statement<[number], { thumbnail: Buffer | null }>;

  constructor(private readonly db: Db) {
    this.put = db.prepare(
      `INSERT INTO shots (item_id, video_id, position, start_s, end_s, thumbnail) VALUES (@itemId, @videoId, @position, @start, @end, @thumbnail)
       ON CONFLICT (item_id) DO UPDATE SET video_id = excluded.video_id, position = excluded.position, start_s = excluded.start_s,
       end_s = excluded.end_s, thumbnail = excluded.thumbnail`,
    );
    this.allOfStmt = db.prepare(`SELECT ${COLUMNS} FROM shots WHERE video_id = ? ORDER BY position`);
    this.liveOfStmt = db.prepare(
      `SELECT ${COLUMNS} FROM shots JOIN items ON items.id = shots.item_id WHERE shots.video_id = ? AND items.status = 'indexed' ORDER BY shots.position`,
    );
    this.byIdStmt = db.prepare(`SELECT ${COLUMNS} FROM shots WHERE item_id = ?`);
    this.byIdListStmt = db.prepare(
      `SELECT ${COLUMNS} FROM shots WHERE item_id IN (SELECT value FROM json_each(?))`,
    );
    this.thumbStmt = db.prepare('SELECT thumbnail FROM shots WHERE item_id = ?');
  }

  allOf(videoId: number): Shot[] {
    return this.allOfStmt.all(videoId).map(rowToShot);
  }

  liveOf(videoId: number): Shot[] {
    return this.liveOfStmt.all(videoId).map(rowToShot);
  }

  byIds(ids: readonly number[]): Map<number, Shot> {
    const out = new Map<number, Shot>();
    if (ids.length === 0) return out;
    // One prepared statement for any number of ids (search calls this for every vector leg).
    for (const row of this.byIdListStmt.all(JSON.stringify(ids))) out.set(row.item_id, rowToShot(row));
    return out;
  }

  byId(id: number): Shot | undefined {
    const row = this.byIdStmt.get(id);
    return row ? rowToShot(row) : undefined;
  }

  thumbnail(id: number): Uint8Array | undefined {
    const row = this.thumbStmt.get(id);
    return row?.thumbnail ? new Uint8Array(row.thumbnail) : undefined;
  }
}
