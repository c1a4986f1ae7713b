import { expect } from 'chai';
import fs from 'node:fs/promises';
import { openLibrary } from '../../../src/store/open-library.ts';
import { spawnChild } from './child-process.ts';
import { removeDir, tempDir, unitVector } from './store-test-context.ts';

const BATCH = 40;

/**
 * A real `kill -9` of a process writing batches (see children/write-loop.child.ts), then a
 * reopen that must find every committed batch whole: nothing lost, nothing duplicated, every
 * indexed item findable by its own vector, the graph holding exactly SQLite's indexed items.
 */
describe('library store: kill -9 while writing', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  // Batch 11 is followed by a checkpoint, so that kill usually lands inside a graph save.
  for (const killAfter of [11, 13]) {
    it(`loses nothing when killed after batch ${killAfter} is reported`, async () => {
      const child = spawnChild('write-loop.child.ts', [dir, String(BATCH)]);
      await child.waitFor(new RegExp(`^committed ${killAfter}$`));
      child.process.kill('SIGKILL');
      expect((await child.exited).signal).to.equal('SIGKILL');

      const library = await openLibrary(dir, {});
      try {
        const counts = library.counts('image');
        const total = counts.indexed + counts.deleted;
        expect(total % BATCH, 'a batch was torn').to.equal(0);
        const last = total / BATCH - 1; // the last committed batch: the one reported, or one more
        expect(last).to.be.at.least(killAfter);
        expect(counts.deleted).to.equal(last);

        for (let n = 0; n < total; n++) {
          const item = library.findByUri(library.listRoots()[0]!.id, `photos/img-${n}.jpg`);
          expect(item?.id, `img-${n}`).to.equal(n + 1); // ids contiguous: no duplicate rows
          const deleted = n + 1 <= last;
          expect(item?.status).to.equal(deleted ? 'deleted' : 'indexed');
          if (deleted) continue;
          const expected = n === last ? unitVector(100_000 + last) : unitVector(n);
          expect(Array.from(library.getVector(item!.id)!)).to.deep.equal(Array.from(expected));
          expect(library.search('image', expected, { k: 1 })[0]?.id, `img-${n} findable`).to.equal(item!.id);
        }
        expect(library.graphSize('image')).to.equal(counts.indexed);
        const everything = library.search('image', unitVector(1), { k: total }).map((h) => h.id);
        expect(everything).to.have.length(counts.indexed);
        expect(everything.every((id) => id > last)).to.equal(true);
        expect(library.lastRun()).to.equal(undefined);
      } finally {
        await library.close();
      }
      const leftovers = (await fs.readdir(dir)).filter((name) => name.includes('.tmp-'));
      expect(leftovers).to.deep.equal([]);
    });
  }
});
