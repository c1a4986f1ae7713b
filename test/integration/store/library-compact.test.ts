import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

const CLI = fileURLToPath(new URL('../../../bin/clipdex.js', import.meta.url));

describe('library store: compaction', function () {
  let dir: string;
  let ids: readonly number[];

  beforeEach(async () => {
    dir = await tempDir();
    const library = await openLibrary(dir, { fingerprint: fingerprint() });
    const rootId = library.ensureRoot(path.join(dir, 'media')).id;
    ids = library.write({ items: Array.from({ length: 100 }, (_, i) => imageWrite(rootId, i)) }).itemIds;
    await library.checkpoint(); // sealed, so the deletions below leave tombstoned slots
    library.write({ deletions: ids.slice(0, 30) });
    library.write({ items: [{ kind: 'text', rootId, uri: 't.txt#1', text: 'hello', status: 'indexed', vector: unitVector(5000) }] });
    await library.close();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('rebuilds the graphs from SQLite without the deleted slots', async () => {
    const library = await openLibrary(dir, {});
    try {
      const reports = await library.compact();
      expect(reports.map(({ ms: _ms, ...r }) => r)).to.deep.equal([
        { kind: 'image', vectors: 70, indexedInDatabase: 70, slotsBefore: 100, slotsAfter: 70 },
        { kind: 'text', vectors: 1, indexedInDatabase: 1, slotsBefore: 1, slotsAfter: 1 },
      ]);
      expect(library.search('image', unitVector(50), { k: 1 })[0]?.id).to.equal(ids[50]);
      expect(library.search('image', unitVector(10), { k: 70 }).map((h) => h.id)).to.not.include(ids[10]);
    } finally {
      await library.close();
    }
    const reopened = await openLibrary(dir, { readOnly: true });
    expect(reopened.recovery.map((r) => [r.action, r.replayed])).to.deep.equal([['loaded', 0], ['loaded', 0]]);
    expect(reopened.graphSize('image')).to.equal(70);
    await reopened.close();
  });

  it('is a CLI command that prints the counts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'library', 'compact', '--library', dir]);
    expect(stdout).to.include(`library ${dir}`);
    expect(stdout).to.match(/image\s+70 vectors in the graph, 70 in the database, 30 deleted slots reclaimed/);
    expect(stdout).to.match(/text\s+1 vector in the graph, 1 in the database, 0 deleted slots reclaimed/);
  });
});
