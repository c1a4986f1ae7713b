import { expect } from 'chai';
import { chooseKeep } from '../../../src/duplicates/keep-choice.ts';
import { findDuplicates, type DuplicateSource } from '../../../src/duplicates/find-duplicates.ts';
import { gatherNeighbours } from '../../../src/duplicates/neighbour-links.ts';
import { UnionFind } from '../../../src/duplicates/union-find.ts';
import type { ImageSignature } from '../../../src/store/library.types.ts';
import { cosine } from '../../../src/vector/vector-math.ts';

const T = {
  nearMaxDistance: 10,
  nearMinCosine: 0.9,
  nearMinMatch: 0.97,
  similarMinCosine: 0.8,
  similarMaxPalette: 8,
  neighbours: 8,
};

function sig(id: number, extra: Partial<ImageSignature> = {}): ImageSignature {
  return {
    id,
    uri: `img-${id}.jpg`,
    contentHash: `h${id}`,
    phash: '0000000000000000',
    width: 100,
    height: 100,
    size: 1000,
    format: 'jpeg',
    mtimeMs: 1000 + id,
    ...extra,
  };
}

function unit(values: number[]): Float32Array {
  const v = Float32Array.from(values);
  const n = Math.hypot(...values);
  return v.map((x) => x / n);
}

/** An in-memory library: exact k-NN over the given vectors. */
function source(
  sigs: ImageSignature[],
  vectors: Map<number, Float32Array>,
  prints: Map<number, Uint8Array> = new Map(),
): DuplicateSource {
  return {
    fingerprints: (ids) =>
      new Map(ids.flatMap((id) => (prints.has(id) ? [[id, prints.get(id)!] as const] : []))),
    imageSignatures: (after, limit) => sigs.filter((s) => s.id > after).slice(0, limit),
    getVector: (id) => vectors.get(id),
    imageVectors: (after, limit) =>
      [...vectors]
        .filter(([id]) => id > after)
        .slice(0, limit)
        .map(([id, vector]) => ({ id, vector })),
    search: (_kind, q, { k }) =>
      [...vectors]
        .map(([id, v]) => ({ id, score: cosine(q, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, k),
    score: (q, ids) => ids.map((id) => ({ id, score: cosine(q, vectors.get(id)!) })),
  };
}

describe('UnionFind', () => {
  it('groups transitively and lists only sets with several members', () => {
    const uf = new UnionFind();
    uf.union(1, 2);
    uf.union(3, 2);
    uf.union(7, 8);
    expect(uf.groups([1, 2, 3, 4, 7, 8])).to.deep.equal([
      [1, 2, 3],
      [7, 8],
    ]);
  });
});

describe('chooseKeep', () => {
  it('prefers most pixels, then least compressed, then oldest, and says why', () => {
    expect(chooseKeep([sig(1), sig(2, { width: 200 })])).to.deep.include({ reason: 'most pixels (200×100)' });
    expect(chooseKeep([sig(1), sig(2, { size: 5000 })]).keep.id).to.equal(2);
    const oldest = chooseKeep([sig(1, { mtimeMs: 50 }), sig(2, { mtimeMs: 10 })]);
    expect(oldest.keep.id).to.equal(2);
    expect(oldest.reason).to.match(/oldest/);
  });

  it('compares compression only within one format: a PNG made from a JPEG is not "less compressed"', () => {
    const jpeg = sig(1, { format: 'jpeg', size: 30_000, mtimeMs: 1000 });
    const png = sig(2, { format: 'png', size: 90_000, mtimeMs: 2000 });
    const choice = chooseKeep([png, jpeg]);
    expect(choice.keep.id).to.equal(1);
    expect(choice.reason).to.match(/oldest, so the original/);
    // A PNG original and a later JPEG export: the PNG, again because it is older.
    expect(chooseKeep([sig(3, { format: 'png', size: 90_000, mtimeMs: 10 }), jpeg]).keep.id).to.equal(3);
    // Dates can't tell: the lossless one, which holds no less of the picture.
    const tie = chooseKeep([sig(4, { format: 'jpeg', mtimeMs: 5 }), sig(5, { format: 'png', mtimeMs: 5 })]);
    expect(tie.keep.id).to.equal(5);
    expect(tie.reason).to.match(/lossless/);
    // Within one format, more bytes per pixel still wins (quality 95 over quality 60).
    expect(chooseKeep([jpeg, sig(6, { format: 'jpeg', size: 60_000, mtimeMs: 9000 })]).keep.id).to.equal(6);
  });

  it('prefers the capture date over the file time', () => {
    const a = sig(1, { format: 'jpeg', mtimeMs: 10, takenAtMs: 5000 });
    const b = sig(2, { format: 'png', mtimeMs: 20, takenAtMs: 100 });
    expect(chooseKeep([a, b]).keep.id).to.equal(2);
  });
});

describe('findDuplicates', () => {
  // 1 & 2: same bytes. 3: the same picture re-encoded (hash 2 bits away). 4: a similar shot
  // (hash far, embedding close). 5: something else.
  const sigs = [
    sig(1, { contentHash: 'same', width: 400, height: 300 }),
    sig(2, { contentHash: 'same', width: 400, height: 300 }),
    sig(3, { phash: '0000000000000003', width: 200, height: 150 }),
    sig(4, { phash: 'ffffffff00000000' }),
    sig(5, { phash: '00000000ffffffff' }),
    sig(6, { phash: null }),
  ];
  const vectors = new Map([
    [1, unit([1, 0, 0, 0])],
    [2, unit([1, 0, 0, 0])],
    [3, unit([1, 0.1, 0, 0])],
    [4, unit([1, 0.6, 0, 0])],
    [5, unit([0, 0, 1, 0])],
    [6, unit([0, 0, 0.2, 1])],
  ]);

  it('keeps the tiers apart and nests them without reporting a pair twice', () => {
    const report = findDuplicates(source(sigs, vectors), T);
    expect(report.groups.map((g) => [g.tier, g.keep, g.items.map((m) => m.id)])).to.deep.equal([
      ['exact', 1, [1, 2]],
      ['near', 1, [1, 3]],
      ['similar', 1, [1, 4]],
    ]);
    const near = report.groups[1]!;
    expect(near.items[1]).to.deep.include({ id: 3, distance: 2 });
    expect(report.groups[2]!.items[1]!.distance).to.be.closeTo(
      1 - cosine(vectors.get(1)!, vectors.get(4)!),
      1e-3,
    );
    expect(report.withoutHash).to.equal(1);
  });

  it('reports one tier on request', () => {
    const report = findDuplicates(source(sigs, vectors), T, ['near']);
    expect(report.groups.map((g) => g.tier)).to.deep.equal(['near']);
  });

  it('never calls an image without a hash a near duplicate', () => {
    const noHash = sigs.map((s) => (s.id === 3 ? { ...s, phash: null } : s));
    const report = findDuplicates(source(noHash, vectors), T);
    expect(report.groups.filter((g) => g.tier === 'near')).to.have.length(0);
    expect(report.groups.find((g) => g.tier === 'similar')!.items.map((m) => m.id)).to.deep.equal([1, 3, 4]);
  });

  it('uses stored neighbour pairs: no query for images already linked, one for each that is not', () => {
    const plain = source(sigs, vectors);
    const settings = { floor: 0.5, k: 8, ef: 16 };
    const gathered = gatherNeighbours(plain, [...vectors.keys()], settings);
    const stored = (done: number[]): DuplicateSource => ({
      ...plain,
      neighbourSettings: () => settings,
      forEachNeighbourPair: (fn) => {
        for (const e of gathered.entries) if (done.includes(e.id)) e.neighbours.forEach(fn);
      },
      neighboursDone: (after, limit) => done.filter((id) => id > after).slice(0, limit),
    });
    const all = findDuplicates(stored([1, 2, 3, 4, 5, 6]), T);
    expect(all.knnQueries).to.equal(0);
    const fresh = findDuplicates(plain, T);
    expect(all.groups).to.deep.equal(fresh.groups);
    expect(fresh.knnQueries).to.equal(5); // one per exact group
    // Image 3 was added after the others were linked: only it is queried, and it joins the group.
    const added = findDuplicates(stored([1, 2, 4, 5, 6]), T);
    expect(added.knnQueries).to.equal(1);
    expect(added.groups).to.deep.equal(fresh.groups);
    // Thresholds below the stored floor can't use the pairs: every exact group is queried.
    expect(findDuplicates(stored([1, 2, 3, 4, 5, 6]), { ...T, similarMinCosine: 0.4 }).knnQueries).to.equal(
      5,
    );
  });

  it('keeps recoloured look-alikes out of similar (palette), shots of one scene in', () => {
    const fp = (cb: number): Uint8Array => {
      const f = new Uint8Array(1536);
      for (let i = 0; i < 1024; i++) f[i] = (i * 37) % 256;
      f.fill(cb, 1024, 1280);
      f.fill(128, 1280);
      return f;
    };
    const prints = new Map([
      [1, fp(100)],
      [2, fp(100)],
      [3, fp(100)],
      [4, fp(101)],
    ]);
    const same = findDuplicates(source(sigs, vectors, prints), T);
    expect(same.groups.find((g) => g.tier === 'similar')!.items.map((m) => m.id)).to.deep.equal([1, 4]);
    prints.set(4, fp(160)); // same layout, other colour
    const recoloured = findDuplicates(source(sigs, vectors, prints), T);
    expect(recoloured.groups.filter((g) => g.tier === 'similar')).to.have.length(0);
  });
});
