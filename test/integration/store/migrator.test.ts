import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../../../src/errors.ts';
import { openDatabase, type Db } from '../../../src/store/database.ts';
import { loadMigrations, migrate, MIGRATIONS_DIR } from '../../../src/store/migrator.ts';
import { removeDir, tempDir } from './store-test-context.ts';

function failure(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(EngineError);
    return error as EngineError;
  }
  return expect.fail('expected an EngineError');
}

describe('migrator', function () {
  let dir: string;
  let migrations: string;
  let db: Db;

  beforeEach(async () => {
    dir = await tempDir();
    migrations = path.join(dir, 'migrations');
    await fs.mkdir(migrations);
    db = openDatabase(path.join(dir, 'test.db'), { readOnly: false, create: true });
  });
  afterEach(async () => {
    db.close();
    await removeDir(dir);
  });

  const write = (name: string, sql: string): Promise<void> => fs.writeFile(path.join(migrations, name), sql);
  const tables = (): string[] =>
    (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);

  it('applies the real migrations once and reports per file', () => {
    const real = loadMigrations(MIGRATIONS_DIR);
    expect(real[0]?.name).to.equal('0001_init.sql');
    expect(migrate(db, real)).to.deep.equal(real.map((m) => ({ name: m.name, status: 'applied' })));
    expect(migrate(db, real)).to.deep.equal(real.map((m) => ({ name: m.name, status: 'already-applied' })));
    expect(tables()).to.include.members([
      'items',
      'vectors',
      'pairs',
      'roots',
      'runs',
      'meta',
      'items_fts',
      'schema_migrations',
    ]);
    db.prepare(
      "INSERT INTO items (kind, uri, text, status, created_at, updated_at) VALUES ('text', 'a#1', 'a red bicycle', 'pending', 0, 0)",
    ).run();
    expect(
      db.prepare("SELECT rowid FROM items_fts WHERE items_fts MATCH 'bicycle'").pluck().all(),
    ).to.deep.equal([1]);
  });

  it('applies only new files, in order', async () => {
    await write('0001_a.sql', 'CREATE TABLE a (x INTEGER);');
    expect(migrate(db, loadMigrations(migrations))).to.deep.equal([
      { name: '0001_a.sql', status: 'applied' },
    ]);
    await write('0002_b.sql', 'CREATE TABLE b (x INTEGER);');
    expect(migrate(db, loadMigrations(migrations))).to.deep.equal([
      { name: '0001_a.sql', status: 'already-applied' },
      { name: '0002_b.sql', status: 'applied' },
    ]);
  });

  it('refuses gaps, duplicates and badly named files', async () => {
    await write('0001_a.sql', 'SELECT 1;');
    await write('0003_c.sql', 'SELECT 1;');
    expect(failure(() => loadMigrations(migrations)).message).to.include('migration gap');
    await write('0002_b.sql', 'SELECT 1;');
    await write('0002_b2.sql', 'SELECT 1;');
    expect(failure(() => loadMigrations(migrations)).message).to.include('duplicate migration number 0002');
    await fs.rm(path.join(migrations, '0002_b2.sql'));
    await write('4_bad.sql', 'SELECT 1;');
    expect(failure(() => loadMigrations(migrations)).message).to.include('is not named');
  });

  it('refuses vanished, edited and out-of-order history', async () => {
    await write('0001_a.sql', 'CREATE TABLE a (x INTEGER);');
    await write('0002_b.sql', 'CREATE TABLE b (x INTEGER);');
    migrate(db, loadMigrations(migrations));
    await write('0002_b.sql', 'CREATE TABLE b (y INTEGER);');
    expect(failure(() => migrate(db, loadMigrations(migrations))).message).to.include(
      'changed after it was applied',
    );
    await fs.rm(path.join(migrations, '0002_b.sql'));
    expect(failure(() => migrate(db, loadMigrations(migrations))).message).to.include(
      '0002_b.sql was applied to this library but its file is missing',
    );
    // A file slipped in before an applied one: its number now names a different file.
    await fs.rename(path.join(migrations, '0001_a.sql'), path.join(migrations, '0002_a.sql'));
    await write('0001_new.sql', 'SELECT 1;');
    expect(failure(() => migrate(db, loadMigrations(migrations))).code).to.equal('INDEX_CORRUPT');
  });

  it('rolls back a failing migration whole and records nothing for it', async () => {
    await write('0001_a.sql', 'CREATE TABLE a (x INTEGER);');
    await write('0002_b.sql', 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);');
    const error = failure(() => migrate(db, loadMigrations(migrations)));
    expect(error.message).to.include('migration 0002_b.sql failed');
    expect(tables()).to.include('a').and.not.include('b');
    expect(db.prepare('SELECT name FROM schema_migrations').pluck().all()).to.deep.equal(['0001_a.sql']);
  });
});
