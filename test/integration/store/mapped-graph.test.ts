import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HnswIndex } from '../../../src/vector/hnsw-index.ts';
import { mappedGraphSupport } from '../../../src/vector/mapped-graph.ts';
import { DIM, removeDir, tempDir, unitVector } from './store-test-context.ts';

const HEADER_BYTES = 96;
/** hnswlib's element at M 8: 16 level-0 links + their count, the vector, an 8-byte label. */
const ELEMENT_BYTES = 4 + 16 * 4 + DIM * 4 + 8;

const sha256 = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return 'opened';
}

describe('mapped sealed graphs (native/hnsw-mapped) on real hnswlib files', function () {
  this.timeout(30_000);
  let dir: string;
  let file: string;

  before(async () => {
    dir = await tempDir();
    file = path.join(dir, 'g.hnsw');
    const index = HnswIndex.create({ dim: DIM, m: 8, efConstruction: 60 });
    for (let i = 1; i <= 2000; i++) index.add(i * 3, unitVector(i));
    index.remove(30); // marked in the file
    await index.save(file);
  });
  after(async () => {
    await removeDir(dir);
  });

  it('is built by npm install (a missing addon would silently cost the fast open)', () => {
    expect(mappedGraphSupport()).to.deep.equal({ available: true });
  });

  it('answers exactly as hnswlib-node does on the same file, with and without a filter', async () => {
    const read = await HnswIndex.load(file, DIM, [30, 60]);
    const mapped = await HnswIndex.openSealed(file, DIM, [30, 60]);
    try {
      expect(mapped.isMapped).to.equal(true);
      expect([mapped.size, mapped.slots, mapped.deleted]).to.deep.equal([
        read.size,
        read.slots,
        read.deleted,
      ]);
      expect([mapped.size, mapped.deleted]).to.deep.equal([1998, 2]);
      expect(Array.from(mapped.allLabels())).to.deep.equal(Array.from(read.allLabels()));
      const odd = (label: number): boolean => label % 2 === 1;
      let compared = 0;
      for (let q = 0; q < 120; q++) {
        const query = unitVector(100_000 + q);
        const filter = q % 3 === 0 ? odd : undefined;
        const want = read.search(query, 10, 40, filter);
        const got = mapped.search(query, 10, 40, filter);
        expect(got.map((h) => h.label)).to.deep.equal(want.map((h) => h.label));
        got.forEach((h, i) => expect(h.distance).to.be.closeTo(want[i]!.distance, 1e-6));
        if (filter) expect(got.every((h) => odd(h.label))).to.equal(true);
        expect(got.map((h) => h.label)).to.not.include.members([30, 60]);
        compared += got.length;
      }
      expect(compared).to.equal(1200);
      // Its own vector finds an item first.
      expect(mapped.search(unitVector(500), 1, 40)[0]).to.deep.include({ label: 1500 });
    } finally {
      mapped.close();
    }
  });

  it('takes tombstones without writing the file, refuses other changes, and closes', async () => {
    const before = await sha256(file);
    const mapped = await HnswIndex.openSealed(file, DIM, []);
    mapped.remove(1500);
    mapped.remove(1500); // idempotent, like the hnswlib-node graph
    mapped.remove(1); // not in the graph: ignored
    expect(mapped.search(unitVector(500), 1, 40)[0]?.label).to.not.equal(1500);
    // 30 is marked in the file but not listed as deleted here, so it still counts as live.
    expect([mapped.size, mapped.deleted]).to.deep.equal([1999, 1]);
    expect(() => mapped.add(7, unitVector(7)))
      .to.throw()
      .with.property('code', 'INTERNAL');
    expect(() => mapped.reserve(5000))
      .to.throw()
      .with.property('code', 'INTERNAL');
    let saved: unknown;
    await mapped.save(path.join(dir, 'copy.hnsw')).catch((error: unknown) => (saved = error));
    expect(saved).to.have.property('code', 'INTERNAL');
    mapped.close();
    mapped.close();
    expect(() => mapped.search(unitVector(1), 1, 40))
      .to.throw()
      .with.property('code', 'INTERNAL');
    expect(await sha256(file)).to.equal(before);
  });

  it('searches several graphs at once on threads with the same answers as one by one', async () => {
    const files: string[] = [];
    for (let g = 0; g < 3; g++) {
      const index = HnswIndex.create({ dim: DIM, m: 8, efConstruction: 60 });
      for (let i = 1; i <= 700; i++) index.add(g * 10_000 + i, unitVector(g * 700 + i));
      files.push(path.join(dir, `part-${g}.hnsw`));
      await index.save(files[g]!);
    }
    const graphs = await Promise.all(
      files.map((f, g) => HnswIndex.openSealed(f, DIM, g === 1 ? [10_005] : [])),
    );
    try {
      const efs = [40, 24, 60];
      for (let q = 0; q < 40; q++) {
        const query = unitVector(50_000 + q);
        const one = graphs.map((index, i) => index.search(query, 10, efs[i]!));
        for (const threads of [1, 2, 3]) {
          expect(HnswIndex.searchSealed(graphs, query, 10, efs, threads)).to.deep.equal(one);
        }
      }
      const unmapped = await HnswIndex.openSealed(files[0]!, DIM, [], { mapped: false });
      expect(HnswIndex.searchSealed([graphs[0]!, unmapped], unitVector(1), 10, [40, 40], 2)).to.equal(
        undefined,
      );
      expect(() => HnswIndex.searchSealed([graphs[0]!, graphs[0]!], unitVector(1), 10, [40, 40], 2)).to.throw(
        /twice/,
      );
    } finally {
      for (const index of graphs) index.close();
    }
  });

  it('refuses files that are not a whole graph of this dimension whose links stay inside it', async () => {
    const bytes = await fs.readFile(file);
    const variant = async (name: string, content: Buffer): Promise<string> => {
      const out = path.join(dir, name);
      await fs.writeFile(out, content);
      return out;
    };
    const badLink = Buffer.from(bytes);
    badLink.writeUInt32LE(1_000_000, HEADER_BYTES + 5 * ELEMENT_BYTES + 4); // element 5's first link
    const badCount = Buffer.from(bytes);
    badCount.writeUInt16LE(500, HEADER_BYTES + 9 * ELEMENT_BYTES); // element 9's degree
    const cases: [string, Buffer][] = [
      ['truncated', bytes.subarray(0, bytes.length - 7)],
      ['short header', bytes.subarray(0, 40)],
      ['trailing bytes', Buffer.concat([bytes, Buffer.alloc(16)])],
      ['link outside', badLink],
      ['too many links', badCount],
      ['noise', Buffer.alloc(bytes.length, 0x5a)],
    ];
    for (const [name, content] of cases) {
      const code = await codeOf(HnswIndex.openSealed(await variant(`${name}.hnsw`, content), DIM, []));
      expect([name, code]).to.deep.equal([name, 'INDEX_CORRUPT']);
    }
    expect(await codeOf(HnswIndex.openSealed(file, DIM * 2, []))).to.equal('INDEX_CORRUPT');
    expect(await codeOf(HnswIndex.openSealed(path.join(dir, 'absent.hnsw'), DIM, []))).to.equal('IO_ERROR');
    // A deleted label the graph lacks is the manifest's error, as on the hnswlib-node path.
    expect(await codeOf(HnswIndex.openSealed(file, DIM, [4]))).to.equal('INDEX_CORRUPT');
  });
});
