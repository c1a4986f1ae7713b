import { expect } from 'chai';
import path from 'node:path';
import { DEFAULT_EF_SEARCH } from '../../../src/defaults.ts';
import { openDatabase, type Db } from '../../../src/store/database.ts';
import { DEFAULT_HNSW, MetaRepository } from '../../../src/store/meta.repository.ts';
import { migrate } from '../../../src/store/migrator.ts';
import { fingerprint, removeDir, tempDir } from './store-test-context.ts';

describe('library meta: HNSW search depth', function () {
  let dir: string;
  let db: Db;

  beforeEach(async () => {
    dir = await tempDir();
    db = openDatabase(path.join(dir, 'library.db'), { readOnly: false, create: true });
    migrate(db);
  });
  afterEach(async () => {
    db.close();
    await removeDir(dir);
  });

  for (const former of [64, 96]) {
    it(`reads the former default ef ${former} (stored by older libraries) as the current default`, () => {
      const meta = new MetaRepository(db);
      meta.initialise(fingerprint(), { m: 16, efConstruction: 100, efSearch: former });
      expect(meta.read().hnsw).to.deep.equal({ m: 16, efConstruction: 100, efSearch: DEFAULT_HNSW.efSearch });
      expect(DEFAULT_HNSW.efSearch).to.be.above(former);
    });
  }

  it('creates new libraries with the default from src/defaults.ts', () => {
    const meta = new MetaRepository(db);
    meta.initialise(fingerprint(), DEFAULT_HNSW);
    expect(meta.read().hnsw.efSearch).to.equal(DEFAULT_EF_SEARCH);
  });

  it('keeps any other stored search depth', () => {
    const meta = new MetaRepository(db);
    meta.initialise(fingerprint(), { m: 12, efConstruction: 80, efSearch: 200 });
    expect(meta.read().hnsw).to.deep.equal({ m: 12, efConstruction: 80, efSearch: 200 });
  });
});
