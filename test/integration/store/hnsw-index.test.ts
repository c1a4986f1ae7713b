import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HnswFileCheck } from '../../../src/vector/hnsw-file-check.ts';
import { HnswIndex } from '../../../src/vector/hnsw-index.ts';
import { DIM, removeDir, tempDir, unitVector } from './store-test-context.ts';

function checkBytes(bytes: Buffer, chunk: number): boolean {
  const check = new HnswFileCheck();
  for (let i = 0; i < bytes.length; i += chunk) check.update(bytes.subarray(i, i + chunk));
  return check.complete();
}

describe('HnswIndex on real hnswlib files', function () {
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('saves, loads with its deleted labels, and keeps growing after an empty save', async () => {
    const empty = HnswIndex.create({ dim: DIM, m: 8, efConstruction: 50 });
    await empty.save(path.join(dir, 'empty.hnsw'));
    const reloaded = await HnswIndex.load(path.join(dir, 'empty.hnsw'), DIM, []);
    expect(reloaded.capacity).to.equal(0); // hnswlib's quirk the index must survive
    for (let i = 1; i <= 1100; i++) reloaded.add(i, unitVector(i));
    reloaded.remove(7);
    reloaded.remove(7);
    reloaded.remove(99999);
    expect([reloaded.size, reloaded.slots]).to.deep.equal([1099, 1100]);
    await reloaded.save(path.join(dir, 'g.hnsw'));
    const again = await HnswIndex.load(path.join(dir, 'g.hnsw'), DIM, reloaded.deletedLabels());
    expect(again.deletedLabels()).to.deep.equal([7]);
    expect(again.size).to.equal(1099);
    expect(again.search(unitVector(7), 5, 50).map((h) => h.label)).to.not.include(7);
    again.add(7, unitVector(7)); // revives a deleted label in place
    expect(again.search(unitVector(7), 1, 50)[0]).to.deep.include({ label: 7 });
    expect([again.size, again.slots]).to.deep.equal([1100, 1100]);
  });

  it('loads with a saved label list, and refuses one that disagrees with the graph', async () => {
    const index = HnswIndex.create({ dim: DIM, m: 8, efConstruction: 50 });
    for (let i = 10; i < 300; i++) index.add(i, unitVector(i));
    index.remove(10); // deleted in the file, and the first label a check would sample
    const file = path.join(dir, 'g.hnsw');
    await index.save(file);
    const labels = index.allLabels();
    expect(labels.length).to.equal(290);
    expect(labels[0]).to.equal(10);
    const loaded = await HnswIndex.load(file, DIM, [10], labels);
    expect([loaded.size, loaded.deleted, loaded.slots]).to.deep.equal([289, 1, 290]);
    expect(loaded.search(unitVector(77), 1, 50)[0]?.label).to.equal(77);
    expect(loaded.has(10)).to.equal(false);
    const short = labels.slice(1);
    let error: unknown;
    await HnswIndex.load(file, DIM, [], short).catch((e: unknown) => (error = e));
    expect(error).to.have.property('code', 'INDEX_CORRUPT');
    const wrong = labels.map((l) => l + 1000);
    error = undefined;
    await HnswIndex.load(file, DIM, [], wrong).catch((e: unknown) => (error = e));
    expect(error).to.have.property('code', 'INDEX_CORRUPT');
  });

  it('recognises complete graph files and rejects truncated or padded ones', async () => {
    const index = HnswIndex.create({ dim: DIM, m: 8, efConstruction: 50 });
    for (let i = 0; i < 300; i++) index.add(i, unitVector(i));
    const file = path.join(dir, 'g.hnsw');
    await index.save(file);
    const bytes = await fs.readFile(file);
    for (const chunk of [1, 7, 4096, bytes.length]) {
      expect(checkBytes(bytes, chunk), `chunk ${chunk}`).to.equal(true);
    }
    for (const cut of [10, 96, 5000, bytes.length - 1]) {
      expect(checkBytes(bytes.subarray(0, cut), 4096), `cut at ${cut}`).to.equal(false);
    }
    expect(checkBytes(Buffer.concat([bytes, Buffer.alloc(1)]), 4096)).to.equal(false);
  });

  it('searches with a filter callback and clamps k to what it holds', () => {
    const index = HnswIndex.create({ dim: DIM, m: 8, efConstruction: 50 });
    for (let i = 0; i < 200; i++) index.add(i, unitVector(i));
    const even = index.search(unitVector(3), 10, 64, (label) => label % 2 === 0);
    expect(even).to.have.length(10);
    expect(even.every((h) => h.label % 2 === 0)).to.equal(true);
    expect(index.search(unitVector(3), 5000, 64)).to.have.length(200);
  });
});
