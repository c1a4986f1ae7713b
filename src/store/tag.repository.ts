/**
 * Prepared statements over `tag_labels` (the configured label set and its text vectors),
 * `item_tags` (stored zero-shot tags) and the tag settings row in `meta`.
 */
import type { Db, Statement } from './database.ts';
import type { TagLabelSet, TagScore, TagSettings } from './library.types.ts';
import { fromBlob, toBlob } from './vector.repository.ts';

const SETTINGS_KEY = 'tag_settings';

export class TagRepository {
  private readonly labelsStmt: Statement<[], { label: string; vector: Buffer }>;
  private readonly settingsStmt: Statement<[string], { value: string }>;
  private readonly putSettings: Statement<[string, string]>;
  private readonly upsertLabel: Statement<{ label: string; position: number; vector: Buffer }>;
  private readonly clearItem: Statement<[number]>;
  private readonly insertTag: Statement<[number, string, number]>;
  private readonly vectorPage: Statement<[number, number], { item_id: number; vector: Buffer }>;

  constructor(private readonly db: Db) {
    this.labelsStmt = db.prepare('SELECT label, vector FROM tag_labels ORDER BY position');
    this.settingsStmt = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.putSettings = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.upsertLabel = db.prepare(
      'INSERT INTO tag_labels (label, position, vector) VALUES (@label, @position, @vector) ON CONFLICT (label) DO UPDATE SET position = excluded.position, vector = excluded.vector',
    );
    this.clearItem = db.prepare('DELETE FROM item_tags WHERE item_id = ?');
    this.insertTag = db.prepare('INSERT OR REPLACE INTO item_tags (item_id, label, score) VALUES (?, ?, ?)');
    this.vectorPage = db.prepare(
      `SELECT v.item_id, v.vector FROM vectors v JOIN items i ON i.id = v.item_id
       WHERE v.kind = 'image' AND v.live = 1 AND i.status = 'indexed' AND v.item_id > ? ORDER BY v.item_id LIMIT ?`,
    );
  }

  labelSet(): TagLabelSet | undefined {
    const labels = this.labelsStmt.all().map((r) => ({ label: r.label, vector: fromBlob(r.vector) }));
    if (labels.length === 0) return undefined;
    const row = this.settingsStmt.get(SETTINGS_KEY);
    const settings = row
      ? (JSON.parse(row.value) as TagSettings)
      : { threshold: 0.1, templates: ['{}'], logitScale: 100, maxTags: 5 };
    return { labels, settings };
  }

  /** Call inside a transaction. */
  replaceLabels(labels: TagLabelSet['labels'], settings: TagSettings): void {
    const keep = new Set(labels.map((l) => l.label));
    const current = this.db.prepare('SELECT label FROM tag_labels').pluck().all() as string[];
    const drop = this.db.prepare('DELETE FROM tag_labels WHERE label = ?');
    for (const label of current) if (!keep.has(label)) drop.run(label);
    labels.forEach((l, position) =>
      this.upsertLabel.run({ label: l.label, position, vector: toBlob(l.vector) }),
    );
    this.putSettings.run(SETTINGS_KEY, JSON.stringify(settings));
  }

  /** Call inside a transaction. */
  replaceItemTags(itemId: number, tags: readonly TagScore[]): void {
    this.clearItem.run(itemId);
    for (const t of tags) this.insertTag.run(itemId, t.label, t.score);
  }

  byIds(ids: readonly number[]): Map<number, TagScore[]> {
    const out = new Map<number, TagScore[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT item_id, label, score FROM item_tags WHERE item_id IN (${chunk.map(() => '?').join(',')}) ORDER BY item_id, score DESC, label`,
        )
        .all(...chunk) as { item_id: number; label: string; score: number }[];
      for (const r of rows) {
        const list = out.get(r.item_id) ?? [];
        list.push({ label: r.label, score: r.score });
        out.set(r.item_id, list);
      }
    }
    return out;
  }

  imageVectors(afterId: number, limit: number): { id: number; vector: Float32Array }[] {
    return this.vectorPage.all(afterId, limit).map((r) => ({ id: r.item_id, vector: fromBlob(r.vector) }));
  }
}
