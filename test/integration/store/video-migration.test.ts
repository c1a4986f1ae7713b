import { expect } from 'chai';
import path from 'node:path';
import { openDatabase, type Db } from '../../../src/store/database.ts';
import { loadMigrations, migrate } from '../../../src/store/migrator.ts';
import { removeDir, tempDir } from './store-test-context.ts';

/** 0004 rebuilds `items` to admit videos: nothing that referenced an item may be lost. */
describe('migration 0004_video_shots (items table rebuild)', function () {
  let dir: string;
  let db: Db;

  beforeEach(async () => {
    dir = await tempDir();
    db = openDatabase(path.join(dir, 'test.db'), { readOnly: false, create: true });
  });
  afterEach(async () => {
    db.close();
    await removeDir(dir);
  });

  it('keeps rows, ids, references, the id high-water mark, indexes and full-text triggers', () => {
    const all = loadMigrations();
    const upTo = all.findIndex((m) => m.name === '0004_video_shots.sql');
    expect(upTo).to.be.greaterThan(0);
    migrate(db, all.slice(0, upTo));
    db.exec(`
      INSERT INTO roots (path) VALUES ('/photos');
      INSERT INTO items (id, kind, root_id, uri, status, created_at, updated_at) VALUES (1, 'image', 1, 'a.jpg', 'indexed', 0, 0);
      INSERT INTO items (id, kind, uri, text, status, created_at, updated_at) VALUES (2, 'text', 'c#1', 'a red bicycle', 'indexed', 0, 0);
      INSERT INTO items (id, kind, root_id, uri, status, created_at, updated_at) VALUES (9, 'image', 1, 'gone.jpg', 'indexed', 0, 0);
      INSERT INTO pairs (image_id, text_id) VALUES (1, 2);
      INSERT INTO vectors (item_id, kind, seq, live, vector) VALUES (1, 'image', 1, 1, x'0000803f'), (2, 'text', 2, 1, x'0000803f');
      INSERT INTO image_phash (item_id, phash) VALUES (1, '0123456789abcdef');
      DELETE FROM items WHERE id = 9;
    `);
    migrate(db, all);
    expect(db.prepare('SELECT id, kind, uri FROM items ORDER BY id').all()).to.deep.equal([
      { id: 1, kind: 'image', uri: 'a.jpg' },
      { id: 2, kind: 'text', uri: 'c#1' },
    ]);
    expect(db.prepare('SELECT count(*) FROM pairs').pluck().get()).to.equal(1);
    expect(db.prepare('SELECT count(*) FROM vectors').pluck().get()).to.equal(2);
    expect(db.prepare('SELECT count(*) FROM image_phash').pluck().get()).to.equal(1);
    expect(db.pragma('foreign_key_check')).to.deep.equal([]);
    expect(db.pragma('foreign_keys', { simple: true })).to.equal(1);
    // AUTOINCREMENT: id 9 was handed out once and must never come back.
    const next = db
      .prepare(
        "INSERT INTO items (kind, root_id, uri, status, created_at, updated_at) VALUES ('video', 1, 'v.mp4', 'indexed', 0, 0) RETURNING id",
      )
      .pluck()
      .get();
    expect(next).to.equal(10);
    // Full text: old rows still indexed, new rows indexed by the recreated trigger.
    db.prepare(
      "INSERT INTO items (kind, uri, text, status, created_at, updated_at) VALUES ('text', 'c#2', 'a blue bicycle', 'indexed', 0, 0)",
    ).run();
    expect(
      db.prepare("SELECT rowid FROM items_fts WHERE items_fts MATCH 'bicycle' ORDER BY rowid").pluck().all(),
    ).to.deep.equal([2, 11]);
    db.prepare("UPDATE items SET text = 'a red car' WHERE id = 2").run();
    expect(
      db.prepare("SELECT rowid FROM items_fts WHERE items_fts MATCH 'bicycle'").pluck().all(),
    ).to.deep.equal([11]);
    const indexes = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' AND sql IS NOT NULL ORDER BY name",
      )
      .pluck()
      .all();
    expect(indexes).to.deep.equal(['items_hash', 'items_place', 'items_place_any', 'items_status']);
    // Cascades still work through the rebuilt parent.
    db.prepare('DELETE FROM items WHERE id = 1').run();
    expect(db.prepare('SELECT count(*) FROM pairs').pluck().get()).to.equal(0);
    expect(() =>
      db
        .prepare(
          "INSERT INTO items (kind, uri, status, created_at, updated_at) VALUES ('audio', 'x', 'indexed', 0, 0)",
        )
        .run(),
    ).to.throw(/CHECK/);
  });
});
