import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../../../src/errors.ts';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

/**
 * A crash image: the library's files exactly as a kill at this instant would leave them on
 * disk (the database with its WAL, segments as last checkpointed), copied while the writer is
 * still running and has not closed anything.
 */
async function crashImage(from: string, to: string): Promise<void> {
  await fs.cp(from, to, {
    recursive: true,
    filter: (src) => !src.endsWith('writer.lock') && !src.endsWith('-shm'),
  });
}

async function openError(dir: string, options: Parameters<typeof openLibrary>[1]): Promise<EngineError> {
  try {
    const library = await openLibrary(dir, options);
    await library.close();
  } catch (error) {
    expect(error).to.be.instanceOf(EngineError);
    return error as EngineError;
  }
  return expect.fail('expected openLibrary to fail');
}

describe('library store: recovery', function () {
  let dir: string;
  let library: LibraryStore | undefined;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await library?.close();
    library = undefined;
    await removeDir(dir);
  });

  it('replays vectors and deletions committed after the last checkpoint', async () => {
    const live = path.join(dir, 'live');
    library = await openLibrary(live, { fingerprint: fingerprint() });
    const rootId = library.ensureRoot(path.join(live, 'media')).id;
    const first = library.write({
      items: Array.from({ length: 30 }, (_, i) => imageWrite(rootId, i)),
    }).itemIds;
    await library.checkpoint();
    const later = library.write({
      items: Array.from({ length: 10 }, (_, i) => imageWrite(rootId, 100 + i)),
    }).itemIds;
    // One row per item holds its latest state: later[0] replays once, as a tombstone (12 ops).
    library.write({
      deletions: [first[0]!, later[0]!],
      items: [imageWrite(rootId, 1, { vector: unitVector(777) })],
    });

    const crashed = path.join(dir, 'crashed');
    await crashImage(live, crashed);
    const reopened = await openLibrary(crashed, { fingerprint: fingerprint() });
    try {
      expect(reopened.recovery[0]).to.deep.equal({ kind: 'image', action: 'loaded', replayed: 12 });
      expect(reopened.graphSize('image')).to.equal(38);
      expect(reopened.counts('image').indexed).to.equal(38);
      for (const [i, id] of later.slice(1).entries()) {
        expect(reopened.search('image', unitVector(101 + i), { k: 1 })[0]?.id).to.equal(id);
      }
      const ids = reopened.search('image', unitVector(0), { k: 38 }).map((h) => h.id);
      expect(ids).to.not.include(first[0]).and.not.include(later[0]);
      expect(reopened.search('image', unitVector(777), { k: 1 })[0]).to.deep.include({ id: first[1] });
    } finally {
      await reopened.close();
    }
    // The recovery was checkpointed: the next open replays nothing.
    const again = await openLibrary(crashed, {});
    expect(again.recovery[0]).to.deep.equal({ kind: 'image', action: 'loaded', replayed: 0 });
    await again.close();
  });

  for (const damage of ['missing', 'truncated', 'garbage', 'foreign'] as const) {
    it(`rebuilds a ${damage} HNSW segment from SQLite, with a warning`, async () => {
      library = await openLibrary(dir, { fingerprint: fingerprint() });
      const rootId = library.ensureRoot(path.join(dir, 'media')).id;
      const ids = library.write({
        items: Array.from({ length: 25 }, (_, i) => imageWrite(rootId, i)),
      }).itemIds;
      await library.checkpoint();
      const [segment] = library.info().kinds[0]!.segments;
      await library.close();
      const graph = path.join(dir, 'segments', segment!.file);
      if (damage === 'missing') await fs.rm(graph);
      if (damage === 'truncated') await fs.truncate(graph, 1000);
      if (damage === 'garbage') await fs.writeFile(graph, Buffer.alloc((await fs.stat(graph)).size, 7));
      if (damage === 'foreign') {
        const other = await openLibrary(path.join(dir, 'other'), { fingerprint: fingerprint() });
        other.write({ items: [imageWrite(other.ensureRoot(dir).id, 1)] });
        await other.checkpoint();
        const [theirs] = other.info().kinds[0]!.segments;
        await other.close();
        await fs.copyFile(path.join(dir, 'other', 'segments', theirs!.file), graph);
      }
      library = await openLibrary(dir, {});
      expect(library.recovery[0]).to.include({ kind: 'image', action: 'rebuilt' });
      expect(library.recovery[0]?.reason).to.include(segment!.file);
      expect(library.recovery[1]).to.include({ kind: 'text', action: 'loaded' });
      expect(library.warnings).to.have.length(1);
      expect(library.info().warnings.map((w) => w.message)).to.deep.equal(library.warnings);
      expect(library.graphSize('image')).to.equal(25);
      expect(library.search('image', unitVector(9), { k: 1 })[0]?.id).to.equal(ids[9]);
      for (const [n, id] of ids.entries()) {
        expect(library.search('image', unitVector(n), { k: 1 })[0]?.id).to.equal(id);
      }
      // Repaired for good: the next open loads what the last one rebuilt.
      await library.close();
      library = await openLibrary(dir, { readOnly: true });
      expect(library.recovery.map((r) => r.action)).to.deep.equal(['loaded', 'loaded']);
      expect(library.info().warnings).to.have.length(1); // still shown by `library info`
    });
  }

  it('refuses another model, naming both fingerprints', async () => {
    library = await openLibrary(dir, { fingerprint: fingerprint() });
    await library.close();
    library = undefined;
    const other = fingerprint({ id: 'fp-test-b', name: 'test-clip-b', dim: 32 });
    const error = await openError(dir, { fingerprint: other });
    expect(error.code).to.equal('MODEL_MISMATCH');
    expect(error.message).to.include('test-clip-a').and.include('fp-test-a').and.include('16-d');
    expect(error.message).to.include('test-clip-b').and.include('fp-test-b').and.include('32-d');
    expect(error.message).to.include('re-embed');
    expect(error.details).to.deep.equal({
      library: { name: 'test-clip-a', id: 'fp-test-a', dim: 16 },
      requested: { name: 'test-clip-b', id: 'fp-test-b', dim: 32 },
    });
    // Same id under another name is the same model.
    library = await openLibrary(dir, { fingerprint: fingerprint({ name: 'renamed' }) });
    expect(library.fingerprint.name).to.equal('test-clip-a');
  });

  it('needs a fingerprint to create, and a library to open read-only', async () => {
    expect((await openError(path.join(dir, 'new'), {})).code).to.equal('INVALID_INPUT');
    expect((await openError(path.join(dir, 'none'), { readOnly: true })).code).to.equal('NOT_FOUND');
    expect(
      (await openError(path.join(dir, 'none2'), { create: false, fingerprint: fingerprint() })).code,
    ).to.equal('NOT_FOUND');
  });

  it('moves with its directory: roots inside the library are stored relative to it', async () => {
    const first = path.join(dir, 'lib');
    library = await openLibrary(first, { fingerprint: fingerprint() });
    const inside = library.ensureRoot(path.join(first, 'photos'));
    const outside = library.ensureRoot('/srv/photos');
    const [id] = library.write({ items: [imageWrite(inside.id, 1)] }).itemIds;
    await library.close();
    const moved = path.join(dir, 'moved');
    await fs.rename(first, moved);
    library = await openLibrary(moved, {});
    expect(library.listRoots()).to.deep.equal([{ id: inside.id, path: path.join(moved, 'photos') }, outside]);
    expect(library.resolvePath(library.getItem(id!)!)).to.equal(
      path.join(moved, 'photos', 'photos', 'img-1.jpg'),
    );
    expect(library.relocateRoot(outside.id, '/mnt/nas/photos')).to.deep.equal({
      id: outside.id,
      path: '/mnt/nas/photos',
    });
    expect(library.listRoots()[1]?.path).to.equal('/mnt/nas/photos');
  });
});
