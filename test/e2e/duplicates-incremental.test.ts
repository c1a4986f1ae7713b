/**
 * Duplicate groups kept current by `index`, and the backfill of hashes for images indexed
 * before they existed. Real CLI, bundled model, SQLite; assertions on counters and stored state.
 */
import { expect } from 'chai';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateEvalSet } from '../../bench/duplicate-eval-set.ts';
import { openDatabase } from '../../src/store/database.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { clipdexJson } from './indexer-helpers.ts';

interface IndexJson {
  neighbourQueries: number;
}
interface Report {
  groups: Array<{ tier: string; keep: number; items: Array<{ id: number; uri: string }> }>;
  withoutHash: number;
  withoutFingerprint: number;
  knnQueries: number;
  backfill?: { filled: number; failed: number };
}

describe('duplicates kept current by index, and backfill (e2e)', function () {
  this.timeout(120_000);
  let work: string;
  let set: string;
  let lib: string;
  let staged: string;
  let source: string;
  let edit: string;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'clipdex-dups-inc-'));
    staged = path.join(work, 'staged');
    const files = await generateEvalSet(staged, { demo: 3, photos: 0, editsPerSource: 2 });
    // Index the three sources first; an edit of the first arrives later.
    set = path.join(work, 'set');
    await mkdir(set);
    const sources = files.filter((f) => f.variant === 'source');
    for (const f of sources) await copyFile(path.join(staged, f.file), path.join(set, f.file));
    source = sources[0]!.file;
    edit = files.find((f) => f.family === source && f.variant === 'jpeg')!.file;
    lib = path.join(work, 'lib');
  });
  after(async () => rm(work, { recursive: true, force: true }));

  it('links each new image once at index time, and a later scan runs no k-NN query', async () => {
    const first = await clipdexJson<IndexJson>([
      'index',
      set,
      '--library',
      lib,
      '--json',
      '--decode-workers',
      '1',
    ]);
    expect(first.neighbourQueries).to.equal(3); // one per image

    await copyFile(path.join(staged, edit), path.join(set, edit));
    const second = await clipdexJson<IndexJson>([
      'index',
      set,
      '--library',
      lib,
      '--json',
      '--decode-workers',
      '1',
    ]);
    // Only the new image was queried: the library was not scanned again.
    expect(second.neighbourQueries).to.equal(1);

    const library = await openLibrary(lib, { readOnly: true, create: false });
    let sourceId = 0;
    let editId = 0;
    try {
      for (const s of library.imageSignatures(0, 100)) {
        if (s.uri === source) sourceId = s.id;
        if (s.uri === edit) editId = s.id;
      }
      const pairs: Array<[number, number]> = [];
      library.forEachNeighbourPair((p) => pairs.push([p.a, p.b]));
      expect(pairs).to.deep.include([Math.min(sourceId, editId), Math.max(sourceId, editId)]);
      expect(library.unlinkedImages(0, 100)).to.deep.equal([]);
    } finally {
      await library.close();
    }

    const report = await clipdexJson<Report>(['duplicates', '--library', lib, '--json']);
    expect(report.knnQueries).to.equal(0);
    const near = report.groups.filter((g) => g.tier === 'near');
    expect(near).to.have.length(1);
    expect(near[0]!.items.map((m) => m.id).sort()).to.deep.equal([sourceId, editId].sort());
  });

  it('backfills hashes and fingerprints of images indexed before they existed', async () => {
    // Make the library look like one indexed before hashes, fingerprints and stored pairs.
    const db = openDatabase(path.join(lib, 'clipdex.db'), { readOnly: false, create: false });
    try {
      db.exec('DELETE FROM image_phash; DELETE FROM image_fingerprint; DELETE FROM image_neighbours_done;');
    } finally {
      db.close();
    }
    const before = await clipdexJson<Report>(['duplicates', '--library', lib, '--json']);
    expect(before).to.deep.include({ withoutHash: 4, withoutFingerprint: 4 });
    expect(before.groups.filter((g) => g.tier === 'near')).to.have.length(0);
    expect(before.knnQueries).to.be.at.least(4); // the unlinked images were linked (and stored)

    const after = await clipdexJson<Report>(['duplicates', '--library', lib, '--json', '--backfill']);
    expect(after.backfill).to.deep.equal({ filled: 4, failed: 0 });
    expect(after).to.deep.include({ withoutHash: 0, withoutFingerprint: 0, knnQueries: 0 });
    expect(after.groups.filter((g) => g.tier === 'near')).to.have.length(1);
  });
});
