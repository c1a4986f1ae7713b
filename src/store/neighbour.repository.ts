/**
 * Prepared statements over `image_neighbours` (stored close pairs of images) and
 * `image_neighbours_done` (which images' own k-NN query ran), plus the settings row in `meta`
 * (floor cosine and k the pairs were gathered with). No business rules: src/duplicates decides.
 */
import type { Db, Statement } from './database.ts';
import type { NeighbourPair, NeighbourSettings } from './library.types.ts';

const SETTINGS_KEY = 'image_neighbours';

export class NeighbourRepository {
  private readonly forgetPairs: Statement<[number, number]>;
  private readonly forgetDone: Statement<[number]>;
  private readonly insertPair: Statement<[number, number, number]>;
  private readonly insertDone: Statement<[number]>;
  private readonly pairAll: Statement<[], { a: number; b: number; cosine: number }>;
  private readonly donePage: Statement<[number, number], { item_id: number }>;
  private readonly unlinkedPage: Statement<[number, number], { id: number }>;
  private readonly settingsStmt: Statement<[string], { value: string }>;
  private readonly putSettingsStmt: Statement<[string, string]>;

  constructor(private readonly db: Db) {
    this.forgetPairs = db.prepare('DELETE FROM image_neighbours WHERE a = ? OR b = ?');
    this.forgetDone = db.prepare('DELETE FROM image_neighbours_done WHERE item_id = ?');
    this.insertPair = db.prepare(
      'INSERT INTO image_neighbours (a, b, cosine) VALUES (?, ?, ?) ON CONFLICT (a, b) DO UPDATE SET cosine = excluded.cosine',
    );
    this.insertDone = db.prepare('INSERT OR IGNORE INTO image_neighbours_done (item_id) VALUES (?)');
    this.pairAll = db.prepare('SELECT a, b, cosine FROM image_neighbours');
    this.donePage = db.prepare(
      'SELECT item_id FROM image_neighbours_done WHERE item_id > ? ORDER BY item_id LIMIT ?',
    );
    this.unlinkedPage = db.prepare(
      `SELECT i.id FROM items i JOIN vectors v ON v.item_id = i.id
       WHERE i.kind = 'image' AND i.status = 'indexed' AND i.id > ?
         AND NOT EXISTS (SELECT 1 FROM image_neighbours_done d WHERE d.item_id = i.id)
       ORDER BY i.id LIMIT ?`,
    );
    this.settingsStmt = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.putSettingsStmt = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  /** The image's vector changed (or it is gone): its pairs and its done mark no longer hold. */
  forget(id: number): void {
    this.forgetPairs.run(id, id);
    this.forgetDone.run(id);
  }

  /** Call inside a transaction. */
  store(entries: readonly { readonly id: number; readonly neighbours: readonly NeighbourPair[] }[]): void {
    for (const e of entries) {
      for (const p of e.neighbours) this.insertPair.run(Math.min(p.a, p.b), Math.max(p.a, p.b), p.cosine);
      this.insertDone.run(e.id);
    }
  }

  /** Drops every pair and done mark (settings changed, so everything is gathered again). */
  clear(settings: NeighbourSettings): void {
    this.db.prepare('DELETE FROM image_neighbours').run();
    this.db.prepare('DELETE FROM image_neighbours_done').run();
    this.putSettingsStmt.run(SETTINGS_KEY, JSON.stringify(settings));
  }

  settings(): NeighbourSettings | undefined {
    const row = this.settingsStmt.get(SETTINGS_KEY);
    return row ? (JSON.parse(row.value) as NeighbourSettings) : undefined;
  }

  /** Streams every stored pair (a read cursor; nothing else may use the connection meanwhile). */
  forEachPair(fn: (pair: NeighbourPair) => void): void {
    for (const row of this.pairAll.iterate()) fn(row);
  }

  done(afterId: number, limit: number): number[] {
    return this.donePage.all(afterId, limit).map((r) => r.item_id);
  }

  unlinked(afterId: number, limit: number): number[] {
    return this.unlinkedPage.all(afterId, limit).map((r) => r.id);
  }
}
