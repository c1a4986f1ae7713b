import { expect } from 'chai';
import path from 'node:path';
import { isEngineError } from '../../../src/errors.ts';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { DIM, fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isEngineError(error), String(error)).to.equal(true);
    expect((error as { code: string }).code).to.equal(code);
    return;
  }
  expect.fail(`expected EngineError ${code}`);
}

describe('library store: round trips', function () {
  let dir: string;
  let library: LibraryStore;
  let rootId: number;

  beforeEach(async () => {
    dir = await tempDir();
    library = await openLibrary(dir, { fingerprint: fingerprint() });
    rootId = library.ensureRoot(path.join(dir, 'media')).id;
  });
  afterEach(async () => {
    await library.close();
    await removeDir(dir);
  });

  it('writes items with vectors and finds each by its own vector', () => {
    const { itemIds } = library.write({ items: Array.from({ length: 40 }, (_, i) => imageWrite(rootId, i)) });
    expect(itemIds).to.have.length(40);
    itemIds.forEach((id, i) => {
      const [hit] = library.search('image', unitVector(i), { k: 1 });
      expect(hit?.id).to.equal(id);
      expect(hit?.score).to.be.closeTo(1, 1e-5);
    });
    const item = library.getItem(itemIds[3]!);
    expect(item).to.include({
      kind: 'image',
      rootId,
      uri: 'photos/img-3.jpg',
      width: 103,
      format: 'jpeg',
      status: 'indexed',
    });
    expect(library.resolvePath(item!)).to.equal(path.join(dir, 'media', 'photos', 'img-3.jpg'));
    expect(Array.from(library.getVector(itemIds[3]!)!)).to.deep.equal(Array.from(unitVector(3)));
    expect(library.counts('image')).to.deep.equal({ indexed: 40, failed: 0, pending: 0, deleted: 0 });
    expect(library.graphSize('image')).to.equal(40);
  });

  it('upserts by (root, uri): same id, new vector replaces the old one in search', () => {
    const [id] = library.write({ items: [imageWrite(rootId, 1)] }).itemIds;
    library.write({ items: [imageWrite(rootId, 2), imageWrite(rootId, 3)] });
    const again = library.write({ items: [imageWrite(rootId, 1, { vector: unitVector(99), size: 5 })] })
      .itemIds[0];
    expect(again).to.equal(id);
    expect(library.getItem(id!)?.size).to.equal(5);
    expect(library.search('image', unitVector(99), { k: 1 })[0]?.id).to.equal(id);
    expect(library.graphSize('image')).to.equal(3);
  });

  it('deletes, moves (keeping id and vector) and revives by move', () => {
    const ids = library.write({ items: [0, 1, 2].map((n) => imageWrite(rootId, n)) }).itemIds;
    library.write({ deletions: [ids[0]!] });
    expect(library.getItem(ids[0]!)?.status).to.equal('deleted');
    expect(library.search('image', unitVector(0), { k: 3 }).map((h) => h.id)).to.not.include(ids[0]);
    expect(library.findByHash('image', 'hash-0').map((i) => i.id)).to.deep.equal([ids[0]]);
    library.write({ moves: [{ id: ids[0]!, rootId, uri: 'moved/zero.jpg' }] });
    expect(library.getItem(ids[0]!)).to.include({ uri: 'moved/zero.jpg', status: 'indexed' });
    expect(library.search('image', unitVector(0), { k: 1 })[0]?.id).to.equal(ids[0]);
    // A move onto an occupied place replaces the occupant.
    library.write({ moves: [{ id: ids[1]!, rootId, uri: 'photos/img-2.jpg' }] });
    expect(library.getItem(ids[2]!)?.status).to.equal('deleted');
    expect(library.findByUri(rootId, 'photos/img-2.jpg')?.id).to.equal(ids[1]);
    expect(library.graphSize('image')).to.equal(2);
  });

  it('stores failures, texts, pairs and runs', () => {
    const run = library.startRun();
    const { itemIds } = library.write({
      items: [
        imageWrite(rootId, 1),
        {
          kind: 'text',
          rootId,
          uri: 'captions.txt#1',
          text: 'a red bicycle',
          status: 'indexed',
          vector: unitVector(500),
        },
        { kind: 'image', rootId, uri: 'broken.jpg', status: 'failed', error: 'not a JPEG' },
      ],
      pairs: [{ image: { rootId, uri: 'photos/img-1.jpg' }, text: { rootId, uri: 'captions.txt#1' } }],
    });
    library.finishRun(run.id, 'finished', { indexed: 2, failed: 1 });
    expect(library.linkedItems(itemIds[0]!).map((i) => i.text)).to.deep.equal(['a red bicycle']);
    expect(library.linkedItems(itemIds[1]!).map((i) => i.id)).to.deep.equal([itemIds[0]]);
    expect(library.listFailed().map((i) => i.error)).to.deep.equal(['not a JPEG']);
    expect(library.search('text', unitVector(500), { k: 5 }).map((h) => h.id)).to.deep.equal([itemIds[1]]);
    expect(library.resolvePath(library.getItem(itemIds[1]!)!)).to.equal(
      path.join(dir, 'media', 'captions.txt'),
    );
    expect(library.lastRun()).to.deep.include({
      id: run.id,
      state: 'finished',
      stats: { indexed: 2, failed: 1 },
    });
    expect(library.fullTextSearch('Bicycle red').map((i) => i.id)).to.deep.equal([itemIds[1]]);
    expect(library.fullTextSearch('bicycle "OR blue')).to.deep.equal([]);
    expect([...library.iterateRoot(rootId)].map((i) => i.uri).sort()).to.deep.equal([
      'broken.jpg',
      'captions.txt#1',
      'photos/img-1.jpg',
    ]);
    library.write({ deletions: [itemIds[1]!] });
    expect(library.fullTextSearch('bicycle')).to.deep.equal([]);
    expect(library.linkedItems(itemIds[0]!)).to.deep.equal([]);
  });

  it('filters by size, format, dimensions and path prefix, and excludes ids', () => {
    const ids = library.write({
      items: Array.from({ length: 30 }, (_, i) =>
        imageWrite(rootId, i, { format: i % 2 ? 'png' : 'jpeg', uri: `${i < 10 ? 'a' : 'b'}/img-${i}.jpg` }),
      ),
    }).itemIds;
    const q = unitVector(4);
    const hits = library.search('image', q, { k: 30, filter: { formats: ['PNG'], minWidth: 110 } });
    expect(hits.map((h) => h.id).sort((x, y) => x - y)).to.deep.equal(
      ids.filter((_, i) => i % 2 === 1 && i >= 10),
    );
    expect(hits.every((h, i) => i === 0 || hits[i - 1]!.score >= h.score)).to.equal(true);
    const under = library.search('image', q, { k: 30, filter: { pathPrefix: path.join(dir, 'media', 'a') } });
    expect(under).to.have.length(10);
    expect(library.search('image', q, { k: 30, filter: { pathPrefix: 'b/' } })).to.have.length(20);
    expect(library.search('image', q, { k: 2, excludeIds: [ids[4]!] }).map((h) => h.id)).to.not.include(
      ids[4],
    );
    expect(library.search('image', q, { k: 5, filter: { formats: [] } })).to.deep.equal([]);
  });

  it('steers HNSW with the filter when too many items pass it to score exactly', () => {
    const items = Array.from({ length: 3000 }, (_, i) => imageWrite(rootId, i, { size: i }));
    const ids = library.write({ items }).itemIds;
    const filter = { minSize: 500 }; // 2500 pass: above the brute-force limit
    for (const n of [600, 1800, 2999]) {
      const hits = library.search('image', unitVector(n), { k: 10, filter, ef: 100 });
      expect(hits).to.have.length(10);
      expect(hits[0]?.id).to.equal(ids[n]);
      expect(hits.every((h) => h.id >= ids[500]!)).to.equal(true);
    }
    expect(library.search('image', unitVector(10), { k: 10, filter }).map((h) => h.id)).to.not.include(
      ids[10],
    );
  });

  it('scores ids exactly and refuses bad queries', () => {
    const ids = library.write({ items: [1, 2].map((n) => imageWrite(rootId, n)) }).itemIds;
    const scores = library.score(unitVector(1), [ids[1]!, ids[0]!, 12345]);
    expect(scores.map((s) => s.id)).to.deep.equal([ids[1], ids[0]]);
    expect(scores[1]!.score).to.be.closeTo(1, 1e-6);
    expectCode(() => library.search('image', new Float32Array(DIM + 1), { k: 1 }), 'DIMENSION_MISMATCH');
    expectCode(() => library.search('image', unitVector(1), { k: 0 }), 'INVALID_INPUT');
    expectCode(
      () => library.write({ items: [imageWrite(rootId, 9, { vector: new Float32Array(3) })] }),
      'DIMENSION_MISMATCH',
    );
    const { vector: _vector, ...withoutVector } = imageWrite(rootId, 9);
    expectCode(() => library.write({ items: [withoutVector] }), 'INVALID_INPUT');
    expectCode(
      () => library.write({ items: [imageWrite(rootId, 9)], fingerprintId: 'other' }),
      'MODEL_MISMATCH',
    );
    expect(library.findByUri(rootId, 'photos/img-9.jpg')).to.equal(undefined);
  });

  it('rolls a failing batch back completely', () => {
    expectCode(
      () => library.write({ items: [imageWrite(rootId, 1)], moves: [{ id: 777, rootId, uri: 'x.jpg' }] }),
      'NOT_FOUND',
    );
    expect(library.counts('image').indexed).to.equal(0);
    expect(library.graphSize('image')).to.equal(0);
  });

  it('survives close and reopen; use after close is CLOSED; close is idempotent', async () => {
    const ids = library.write({ items: Array.from({ length: 20 }, (_, i) => imageWrite(rootId, i)) }).itemIds;
    library.write({ deletions: [ids[5]!] });
    await library.close();
    await library.close();
    expectCode(() => library.getItem(1), 'CLOSED');
    library = await openLibrary(dir, { fingerprint: fingerprint() });
    expect(library.recovery.map((r) => r.action)).to.deep.equal(['loaded', 'loaded']);
    expect(library.graphSize('image')).to.equal(19);
    expect(library.search('image', unitVector(7), { k: 1 })[0]?.id).to.equal(ids[7]);
    expect(library.search('image', unitVector(5), { k: 19 }).map((h) => h.id)).to.not.include(ids[5]);
  });

  it('grows HNSW capacity past its initial size', () => {
    const items = Array.from({ length: 1500 }, (_, i) => imageWrite(rootId, i));
    for (let i = 0; i < items.length; i += 500) library.write({ items: items.slice(i, i + 500) });
    expect(library.graphSize('image')).to.equal(1500);
    expect(library.search('image', unitVector(1400), { k: 1 })[0]?.score).to.be.closeTo(1, 1e-5);
  });
});
