import { expect } from 'chai';
import path from 'node:path';
import { openDatabase, type Db } from '../../../src/store/database.ts';
import { loadMigrations, migrate } from '../../../src/store/migrator.ts';
import { removeDir, tempDir } from './store-test-context.ts';

/**
 * Videos indexed before the capture date was kept have only `creationTime`: the migration gives
 * them (and their shots, which date filters run over) the takenAt keys the indexer now writes,
 * and leaves placeholders, unreadable values, photos and already-dated videos alone.
 */
describe('migration video_taken_at (capture dates of videos indexed earlier)', function () {
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

  it('derives takenAt/takenAtMs from creationTime and copies takenAtMs to the shots', () => {
    const all = loadMigrations();
    const at = all.findIndex((m) => m.name.endsWith('_video_taken_at.sql'));
    expect(at).to.be.greaterThan(0);
    migrate(db, all.slice(0, at));
    const video = (id: number, metadata: unknown): string =>
      `INSERT INTO items (id, kind, root_id, uri, metadata, status, created_at, updated_at) VALUES (${id}, 'video', 1, 'v${id}.mp4', ${metadata === null ? 'NULL' : `'${JSON.stringify(metadata)}'`}, 'indexed', 0, 0);
       INSERT INTO items (id, kind, root_id, uri, status, created_at, updated_at) VALUES (${id + 100}, 'shot', 1, 'v${id}.mp4#shot=0', 'indexed', 0, 0);
       INSERT INTO shots (item_id, video_id, position, start_s, end_s) VALUES (${id + 100}, ${id}, 0, 0, 1);`;
    db.exec(`
      INSERT INTO roots (path) VALUES ('/media');
      ${video(1, { duration: 2, creationTime: '2019-07-14T18:30:00.000Z' })}
      ${video(2, { duration: 2, creationTime: '2019-07-14T18:30:00.250Z' })}
      ${video(3, { duration: 2, creationTime: '1904-01-01T00:00:00.000Z' })}
      ${video(4, { duration: 2, creationTime: '1970-01-01T00:00:00.000Z' })}
      ${video(5, { duration: 2, creationTime: null })}
      ${video(6, { duration: 2, creationTime: 'not a date' })}
      ${video(7, null)}
      ${video(8, { creationTime: '2019-07-14T18:30:00.000Z', takenAt: '2019-07-14T20:30:00+02:00', takenAtMs: 1563129000000, takenAtSource: 'video', timeZone: '+02:00' })}
      INSERT INTO items (id, kind, root_id, uri, metadata, status, created_at, updated_at) VALUES (50, 'image', 1, 'a.jpg', '{"creationTime":"2019-07-14T18:30:00.000Z"}', 'indexed', 0, 0);
    `);
    migrate(db, all);
    const meta = (id: number): Record<string, unknown> | null => {
      const raw = db.prepare('SELECT metadata FROM items WHERE id = ?').pluck().get(id) as string | null;
      return raw === null ? null : (JSON.parse(raw) as Record<string, unknown>);
    };
    expect(meta(1)).to.deep.equal({
      duration: 2,
      creationTime: '2019-07-14T18:30:00.000Z',
      takenAt: '2019-07-14T18:30:00+00:00',
      takenAtMs: Date.UTC(2019, 6, 14, 18, 30),
      takenAtSource: 'video',
      timeZone: '+00:00',
    });
    expect(meta(101)).to.deep.equal({ takenAtMs: Date.UTC(2019, 6, 14, 18, 30) });
    expect(meta(2)).to.include({
      takenAt: '2019-07-14T18:30:00.250+00:00',
      takenAtMs: Date.UTC(2019, 6, 14, 18, 30, 0, 250),
    });
    expect(meta(102)).to.deep.equal({ takenAtMs: Date.UTC(2019, 6, 14, 18, 30, 0, 250) });
    for (const id of [3, 4, 5, 6]) {
      expect(meta(id), `video ${id}`).to.not.have.property('takenAt');
      expect(meta(id + 100), `shot of video ${id}`).to.equal(null);
    }
    expect(meta(7)).to.equal(null);
    expect(meta(107)).to.equal(null);
    // Already dated by the indexer (with Apple's local offset): untouched; its shot gets the time.
    expect(meta(8)).to.include({ takenAt: '2019-07-14T20:30:00+02:00', timeZone: '+02:00' });
    expect(meta(108)).to.deep.equal({ takenAtMs: 1563129000000 });
    expect(meta(50)).to.deep.equal({ creationTime: '2019-07-14T18:30:00.000Z' });
  });
});
