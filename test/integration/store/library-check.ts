/** What every crash test checks after reopening a library the write-loop children wrote. */
import { expect } from 'chai';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import { l2Normalize } from '../../../src/vector/vector-math.ts';
import { unitVector } from './store-test-context.ts';

/**
 * Every committed batch whole (nothing lost, no duplicate rows), every indexed item findable by
 * its own vector, and the vector index holding exactly SQLite's indexed items, once each.
 */
export function expectIntactLoop(library: LibraryStore, batch: number, killAfter: number): void {
  const counts = library.counts('image');
  const total = counts.indexed + counts.deleted;
  expect(total % batch, 'a batch was torn').to.equal(0);
  const last = total / batch - 1; // the last committed batch
  expect(last).to.be.at.least(killAfter);
  expect(counts.deleted).to.equal(last);
  const rootId = library.listRoots()[0]!.id;
  for (let n = 0; n < total; n++) {
    const item = library.findByUri(rootId, `photos/img-${n}.jpg`);
    expect(item?.id, `img-${n}`).to.equal(n + 1); // ids contiguous: no duplicate rows
    const deleted = n + 1 <= last;
    expect(item?.status).to.equal(deleted ? 'deleted' : 'indexed');
    if (deleted) continue;
    // The store keeps vectors as it normalised them (a few seeds differ from unitVector by an ulp).
    const expected = l2Normalize(n === last ? unitVector(100_000 + last) : unitVector(n));
    expect(Array.from(library.getVector(item!.id)!)).to.deep.equal(Array.from(expected));
    expect(library.search('image', expected, { k: 1 })[0]?.id, `img-${n} findable`).to.equal(item!.id);
  }
  expect(library.graphSize('image')).to.equal(counts.indexed);
  // Searches return at most 10k hits; the count check above already rules out extra copies.
  const k = Math.min(total, 10_000);
  const everything = library.search('image', unitVector(1), { k }).map((h) => h.id);
  expect(everything).to.have.length(Math.min(counts.indexed, k));
  expect(new Set(everything).size, 'an item was found twice').to.equal(everything.length);
  expect(everything.every((id) => id > last)).to.equal(true);
}
