/**
 * The from-scratch duplicate scan on worker threads (NeighbourPool) against the serial scan, on
 * a real library (SQLite + three sealed HNSW segments and a tail): the same groups, the same
 * candidate pairs, the same stored pairs.
 */
import { expect } from 'chai';
import path from 'node:path';
import { DEFAULT_DUPLICATE_THRESHOLDS } from '../../../src/duplicates/duplicate-thresholds.ts';
import { findDuplicates, findDuplicatesParallel } from '../../../src/duplicates/find-duplicates.ts';
import { linkUnlinked, linkUnlinkedParallel } from '../../../src/duplicates/neighbour-links.ts';
import { NeighbourPool } from '../../../src/duplicates/neighbour-pool.ts';
import { isEngineError } from '../../../src/errors.ts';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import type { ItemWrite, NeighbourPair } from '../../../src/store/library.types.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, removeDir, tempDir, unitVector } from '../store/store-test-context.ts';

const DIM = 16;

/** Families of one picture: a source, sometimes an exact copy, a near copy and a similar shot. */
function fixture(rootId: number, families: number, firstFamily: number): ItemWrite[] {
  const out: ItemWrite[] = [];
  const jitter = (v: Float32Array, seed: number, amount: number): Float32Array => {
    const noise = unitVector(seed + 1_000_000);
    const w = v.map((x, i) => x + amount * noise[i]!);
    const n = Math.hypot(...w);
    return w.map((x) => x / n);
  };
  for (let f = firstFamily; f < firstFamily + families; f++) {
    const base = unitVector(f);
    const hash = ((f * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(2);
    const flipped = (bits: number): string =>
      (BigInt(`0x${hash}`) ^ ((1n << BigInt(bits)) - 1n)).toString(16).padStart(16, '0');
    const item = (n: number, w: Partial<ItemWrite>): void => {
      out.push({
        kind: 'image',
        rootId,
        uri: `p/${f}-${n}.jpg`,
        contentHash: `f${f}`,
        phash: hash,
        size: 1000 + n,
        mtimeMs: 1_700_000_000_000 + f * 10 + n,
        width: 100,
        height: 100,
        format: 'jpeg',
        status: 'indexed',
        vector: base,
        ...w,
      });
    };
    item(0, {});
    if (f % 5 === 0) item(1, {}); // same bytes
    if (f % 3 === 0) item(2, { contentHash: `f${f}-n`, vector: jitter(base, f, 0.1), phash: flipped(3) });
    if (f % 4 === 0) {
      item(3, { contentHash: `f${f}-s`, vector: jitter(base, f + 7, 0.25), phash: flipped(40) });
    }
  }
  return out;
}

describe('parallel duplicate scan (NeighbourPool)', function () {
  this.timeout(60_000);
  let dir: string;
  let library: LibraryStore;
  let pool: NeighbourPool;

  before(async () => {
    dir = path.join(await tempDir(), 'library');
    const writer = await openLibrary(dir, {
      fingerprint: { ...fingerprint(), dim: DIM },
      segments: { merge: false },
    });
    const root = writer.ensureRoot(path.join(dir, '..', 'photos'));
    // Three sealed segments, then a tail not sealed yet (each worker replays it from SQLite).
    for (let part = 0; part < 3; part++) {
      writer.write({ items: fixture(root.id, 150, part * 150) });
      await writer.checkpoint();
      await writer.idle();
    }
    await writer.close();
    library = await openLibrary(dir, { create: false, segments: { merge: false } });
    library.write({ items: fixture(root.id, 60, 450) });
    const image = library.info().kinds.find((k) => k.kind === 'image')!;
    expect(image.segments).to.have.length(3);
    expect(image.tail).to.be.greaterThan(60);
    pool = new NeighbourPool(dir, { workers: 2, minQueries: 0 });
  });

  after(async () => {
    await pool?.close();
    await library?.close();
    await removeDir(path.dirname(dir));
  });

  it('finds exactly the serial scan’s groups and candidate pairs', async () => {
    const pairs = { serial: [] as string[], parallel: [] as string[] };
    const serial = findDuplicates(library, DEFAULT_DUPLICATE_THRESHOLDS, undefined, {
      onPair: (a, b, c) => pairs.serial.push(`${a},${b},${c}`),
    });
    const parallel = await findDuplicatesParallel(library, DEFAULT_DUPLICATE_THRESHOLDS, pool, undefined, {
      onPair: (a, b, c) => pairs.parallel.push(`${a},${b},${c}`),
    });
    expect(parallel).to.deep.equal(serial);
    expect(pairs.parallel).to.deep.equal(pairs.serial);
    // The fixture exercises every tier, and the queries really ran (one per exact group).
    const count = (tier: string): number => serial.groups.filter((g) => g.tier === tier).length;
    expect(count('exact')).to.equal(102);
    expect(count('near')).to.be.greaterThan(100);
    expect(count('similar')).to.be.greaterThan(50);
    expect(serial.knnQueries).to.equal(serial.images - 102);
  });

  it('stores the same neighbour pairs as the serial link pass', async () => {
    const stored = (): string[] => {
      const out: string[] = [];
      library.forEachNeighbourPair((p: NeighbourPair) => out.push(`${p.a},${p.b},${p.cosine}`));
      return out.sort();
    };
    const queries = await linkUnlinkedParallel(library, pool);
    const parallel = stored();
    library.storeNeighbours({ floor: -1, k: 1, ef: 1 }, []); // other settings: drops everything
    expect(linkUnlinked(library)).to.equal(queries);
    expect(stored()).to.deep.equal(parallel);
    expect(parallel.length).to.be.greaterThan(200);
    // Once linked, a scan needs no query at all, on either path.
    const again = await findDuplicatesParallel(library, DEFAULT_DUPLICATE_THRESHOLDS, pool);
    expect(again.knnQueries).to.equal(0);
    expect(again.groups).to.deep.equal(findDuplicates(library, DEFAULT_DUPLICATE_THRESHOLDS).groups);
  });

  it('fails with an engine error, not a hang, when a worker cannot open the library', async () => {
    const broken = new NeighbourPool(path.join(dir, 'missing'), { workers: 1, minQueries: 0 });
    try {
      // Below the stored pairs' floor: every image is queried again.
      const below = { ...DEFAULT_DUPLICATE_THRESHOLDS, nearMinCosine: 0.8 };
      await findDuplicatesParallel(library, below, broken);
      expect.fail('expected an error');
    } catch (error) {
      expect(isEngineError(error), String(error)).to.equal(true);
    } finally {
      await broken.close();
    }
  });
});
