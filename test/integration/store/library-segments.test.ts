import { expect } from 'chai';
import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { spawnChild } from './child-process.ts';
import { expectIntactLoop } from './library-check.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

/** Bytes this process has handed to write(2)/pwrite(2) so far (Linux). */
function bytesWritten(): number | undefined {
  try {
    const match = /^wchar:\s+(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function segmentStats(
  dir: string,
): Promise<Map<string, { ino: number; size: number; mtimeMs: number }>> {
  const out = new Map<string, { ino: number; size: number; mtimeMs: number }>();
  for (const name of await fs.readdir(path.join(dir, 'segments'))) {
    if (!name.endsWith('.hnsw')) continue;
    const st = await fs.stat(path.join(dir, 'segments', name));
    out.set(name, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

describe('library store: segments', function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('an incremental run of 100 items into a 20k-item library touches no sealed segment', async () => {
    const dim = 64;
    const fp = fingerprint({ dim });
    const library = await openLibrary(dir, { fingerprint: fp, hnsw: { m: 8, efConstruction: 40 } });
    const rootId = library.ensureRoot(path.join(dir, 'media')).id;
    for (let i = 0; i < 20_000; i += 2000) {
      library.write({
        items: Array.from({ length: 2000 }, (_, j) =>
          imageWrite(rootId, i + j, { vector: unitVector(i + j, dim) }),
        ),
      });
    }
    await library.compact(); // one sealed layout, no merges pending
    await library.close();
    const before = await segmentStats(dir);
    const graphBytes = [...before.values()].reduce((n, s) => n + s.size, 0);
    expect(before.size).to.be.at.least(1);

    const written = bytesWritten();
    const run = await openLibrary(dir, { fingerprint: fp });
    expect(run.recovery.map((r) => [r.action, r.replayed])).to.deep.equal([
      ['loaded', 0],
      ['loaded', 0],
    ]);
    const ids = run.write({
      items: Array.from({ length: 100 }, (_, j) =>
        imageWrite(rootId, 50_000 + j, { vector: unitVector(50_000 + j, dim) }),
      ),
    }).itemIds;
    await run.checkpoint();
    expect(run.search('image', unitVector(50_042, dim), { k: 1 })[0]?.id).to.equal(ids[42]);
    expect(run.search('image', unitVector(12_345, dim), { k: 1 })[0]?.id).to.equal(12_346);
    await run.close();
    const after = await segmentStats(dir);
    for (const [name, st] of before) expect(after.get(name), `${name} untouched`).to.deep.equal(st);
    expect(after.size).to.equal(before.size + 1); // the 100 new vectors, sealed
    if (written !== undefined) {
      const total = bytesWritten()! - written;
      expect(total, `${total} bytes written vs ${graphBytes} graph bytes`).to.be.below(0.1 * graphBytes);
    }
  });

  it('merges small segments and purges deleted ones in the background, results unchanged', async () => {
    const library = await openLibrary(dir, { fingerprint: fingerprint(), segments: { mergeFactor: 3 } });
    try {
      const rootId = library.ensureRoot(path.join(dir, 'media')).id;
      const ids: number[] = [];
      for (let b = 0; b < 5; b++) {
        ids.push(
          ...library.write({ items: Array.from({ length: 200 }, (_, j) => imageWrite(rootId, b * 200 + j)) })
            .itemIds,
        );
        await library.checkpoint();
      }
      await library.idle();
      const merged = library.info().kinds[0]!.segments;
      expect(merged.length).to.be.below(5);
      expect(merged.reduce((n, s) => n + s.count, 0)).to.equal(1000);
      // Delete 30% of the biggest segment: it gets purged.
      const biggest = merged.reduce((a, b) => (b.count > a.count ? b : a));
      library.write({ deletions: ids.slice(0, Math.ceil(biggest.count * 0.3)) });
      await library.checkpoint();
      await library.idle();
      const purged = library.info().kinds[0]!;
      expect(purged.segments.every((s) => s.deleted === 0)).to.equal(true);
      expect(purged.live).to.equal(1000 - Math.ceil(biggest.count * 0.3));
      for (let n = 0; n < 1000; n += 37) {
        const hit = library.search('image', unitVector(n), { k: 1 })[0];
        if (n < Math.ceil(biggest.count * 0.3)) expect(hit?.id).to.not.equal(ids[n]);
        else expect(hit?.id).to.equal(ids[n]);
      }
      const files = (await fs.readdir(path.join(dir, 'segments'))).filter((f) => f.endsWith('.hnsw'));
      expect(files.sort()).to.deep.equal(purged.segments.map((s) => s.file).sort()); // merged-away files are gone
    } finally {
      await library.close();
    }
  });

  it("a checkpoint does not wait for a big tail's seal; its rows stay replayable until the segment is named", async () => {
    const events: string[] = [];
    const library = await openLibrary(dir, {
      fingerprint: fingerprint(),
      segments: { merge: false, onEvent: (event) => events.push(event) },
    });
    try {
      const rootId = library.ensureRoot(path.join(dir, 'media')).id;
      const ids = library.write({
        items: Array.from({ length: 3000 }, (_, j) => imageWrite(rootId, j)),
      }).itemIds;
      await library.checkpoint();
      // The seal runs on a worker thread that is still starting: nothing is sealed yet, the
      // manifest on disk names no segment and its mark is below every row (all replayable).
      expect(events).to.not.include('seal-built');
      expect(library.info().kinds[0]!.segments).to.have.length(0);
      expect(library.info().kinds[0]!.tail).to.equal(3000);
      const early = JSON.parse(await fs.readFile(path.join(dir, 'segments', 'manifest.json'), 'utf8')) as {
        mark: number;
        segments: unknown[];
      };
      expect(early.segments).to.have.length(0);
      expect(early.mark).to.equal(0);
      expect(library.search('image', unitVector(5), { k: 1 })[0]?.id).to.equal(ids[5]);
      await library.idle();
      expect(events).to.include.members(['seal-start', 'seal-built', 'manifest-saved']);
      const info = library.info().kinds[0]!;
      expect(info.tail).to.equal(0);
      expect(info.segments.map((s) => s.count)).to.deep.equal([3000]);
      const late = JSON.parse(await fs.readFile(path.join(dir, 'segments', 'manifest.json'), 'utf8')) as {
        segments: { file: string }[];
      };
      expect(late.segments.map((s) => s.file)).to.deep.equal(info.segments.map((s) => s.file));
      expect(library.search('image', unitVector(2999), { k: 1 })[0]?.id).to.equal(ids[2999]);
    } finally {
      await library.close();
    }
  });

  it("merges build on the largest source's graph (its tombstones carried); purges rebuild", async () => {
    const library = await openLibrary(dir, { fingerprint: fingerprint(), segments: { mergeFactor: 4 } });
    try {
      const rootId = library.ensureRoot(path.join(dir, 'media')).id;
      const write = (from: number, count: number): number[] => [
        ...library.write({ items: Array.from({ length: count }, (_, j) => imageWrite(rootId, from + j)) })
          .itemIds,
      ];
      const ids = write(0, 1000);
      await library.checkpoint();
      await library.idle();
      library.write({ deletions: ids.slice(0, 50) }); // 5%: tombstones, no purge
      await library.checkpoint();
      await library.idle();
      expect(library.info().kinds[0]!.segments.map((s) => [s.count, s.deleted])).to.deep.equal([[1000, 50]]);
      // 400 new vectors are at least a quarter of the 950 live ones: merged into that segment.
      ids.push(...write(1000, 400));
      await library.checkpoint();
      await library.idle();
      const merged = library.info().kinds[0]!;
      // A rebuild from SQLite would hold 1350 slots and no deletions; built on the old graph,
      // the new file keeps its 50 deleted slots and only the 400 were inserted.
      expect(merged.segments.map((s) => [s.count, s.deleted])).to.deep.equal([[1400, 50]]);
      expect(merged.live).to.equal(1350);
      for (let n = 0; n < 1400; n += 23) {
        const hit = library.search('image', unitVector(n), { k: 1 })[0];
        if (n < 50) expect(hit?.id).to.not.equal(ids[n]);
        else expect(hit?.id, `img-${n}`).to.equal(ids[n]);
      }
      library.write({ deletions: ids.slice(50, 350) }); // now 350 of 1400 deleted: purged
      await library.checkpoint();
      await library.idle();
      const purged = library.info().kinds[0]!;
      expect(purged.segments.map((s) => [s.count, s.deleted])).to.deep.equal([[1050, 0]]);
      expect(library.search('image', unitVector(1399), { k: 1 })[0]?.id).to.equal(ids[1399]);
    } finally {
      await library.close();
    }
    const reopened = await openLibrary(dir, { segments: { merge: false } });
    try {
      expect(reopened.warnings).to.deep.equal([]);
      expect(reopened.graphSize('image')).to.equal(1050);
    } finally {
      await reopened.close();
    }
  });

  it('a reader picks up new segments and tombstones without a restart', async () => {
    const writer = await openLibrary(dir, { fingerprint: fingerprint(), segments: { mergeFactor: 2 } });
    let reader: LibraryStore | undefined;
    try {
      const rootId = writer.ensureRoot(path.join(dir, 'media')).id;
      const first = writer.write({
        items: Array.from({ length: 300 }, (_, j) => imageWrite(rootId, j)),
      }).itemIds;
      await writer.checkpoint();
      await writer.idle(); // a tail this size is sealed in the background
      reader = await openLibrary(dir, { readOnly: true });
      expect(reader.info().kinds[0]!.segments).to.have.length(1);
      const second = writer.write({
        items: Array.from({ length: 300 }, (_, j) => imageWrite(rootId, 1000 + j)),
      }).itemIds;
      writer.write({ deletions: first.slice(0, 10) });
      await writer.checkpoint();
      await writer.idle(); // two segments merge into one
      reader.refresh();
      await reader.idle();
      const view = reader.info().kinds[0]!;
      expect(view.segments.map((s) => s.file)).to.deep.equal(
        writer.info().kinds[0]!.segments.map((s) => s.file),
      );
      expect(view.tail).to.equal(0);
      expect(reader.graphSize('image')).to.equal(590);
      expect(reader.search('image', unitVector(1005), { k: 1 })[0]?.id).to.equal(second[5]);
      expect(reader.search('image', unitVector(3), { k: 5 }).map((h) => h.id)).to.not.include(first[3]);
      // A deletion not yet sealed reaches the reader through SQLite alone.
      writer.write({ deletions: [second[7]!] });
      reader.refresh();
      expect(reader.search('image', unitVector(1007), { k: 5 }).map((h) => h.id)).to.not.include(second[7]);
    } finally {
      await reader?.close();
      await writer.close();
    }
  });

  for (const event of ['seal-start', 'seal-built', 'merge-start', 'merge-built', 'manifest-saved'] as const) {
    it(`loses nothing when killed -9 at ${event}`, async () => {
      const batch = 600;
      const child = spawnChild('segment-loop.child.ts', [dir, String(batch)]);
      await child.waitFor(/^committed 4$/);
      await child.waitFor(new RegExp(`^event ${event}$`));
      child.process.kill('SIGKILL');
      expect((await child.exited).signal).to.equal('SIGKILL');
      const library = await openLibrary(dir, { segments: { merge: false } });
      try {
        expect(library.warnings).to.deep.equal([]);
        expectIntactLoop(library, batch, 4);
      } finally {
        await library.close();
      }
      const leftovers = (await fs.readdir(path.join(dir, 'segments'))).filter((name) =>
        name.includes('.tmp-'),
      );
      expect(leftovers).to.deep.equal([]);
    });
  }
});
