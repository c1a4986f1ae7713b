import { expect } from 'chai';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { openLibrary } from '../../src/store/open-library.ts';
import { cleanup, clipdexJson, makeDistinctPngs, spawnClipdex, tempDir } from './indexer-helpers.ts';

interface Counts {
  indexed: number;
  failed: number;
  pending: number;
  deleted: number;
}

describe('e2e: kill -9 in the middle of clipdex index', function () {
  this.timeout(240_000);
  let dir: string;
  after(() => cleanup(dir));

  it('loses nothing committed; the rerun completes with exact counts and no duplicates', async () => {
    dir = await tempDir();
    const photos = path.join(dir, 'photos');
    await mkdir(photos);
    const total = await makeDistinctPngs(photos, 1, 200);
    const lib = path.join(dir, 'library');
    const args = [
      'index',
      photos,
      '--library',
      lib,
      '--threads',
      '1',
      '--batch-size',
      '4',
      '--concurrency',
      '1',
    ];

    const child = spawnClipdex(args);
    const exited = once(child, 'exit');
    // Watch the library read-only until the first batches are committed, then kill without warning.
    let atKill: number | undefined;
    while (child.exitCode === null && atKill === undefined) {
      const reader = await openLibrary(lib, { readOnly: true }).catch(() => undefined);
      const indexed = reader?.counts('image').indexed ?? 0;
      await reader?.close();
      if (indexed > 0) atKill = indexed;
      else await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect(signal, `the run ended on its own (exit ${String(code)}) before it could be killed`).to.equal(
      'SIGKILL',
    );
    expect(atKill).to.be.greaterThan(0);
    expect(atKill!).to.be.lessThan(total);

    const afterKill = await clipdexJson<{ images: Counts; lastRun: { state: string } }>([
      'status',
      '--library',
      lib,
    ]);
    expect(afterKill.images.indexed).to.be.at.least(atKill!);
    expect(afterKill.images.indexed % 4, 'whole batches only').to.equal(0);
    // Searching the killed run's library works and finds exactly what was committed.
    const found = await clipdexJson<{ results: { kind: string }[] }>([
      'search',
      'a smiling face',
      '--library',
      lib,
      '--threads',
      '1',
      '--k',
      String(total),
    ]);
    expect(found.results).to.have.length(afterKill.images.indexed);
    expect(found.results.every((h) => h.kind === 'image')).to.equal(true);

    const rerun = await clipdexJson<{ state: string; images: Record<string, number> }>(args);
    expect(rerun.state).to.equal('finished');
    expect(rerun.images.unchanged).to.equal(afterKill.images.indexed);
    expect(rerun.images.indexed).to.equal(total - afterKill.images.indexed);
    expect(rerun.images.failed).to.equal(0);

    const final = await clipdexJson<{ images: Counts; lastRun: { state: string } }>([
      'status',
      '--library',
      lib,
    ]);
    expect(final.images).to.deep.equal({ indexed: total, failed: 0, pending: 0, deleted: 0 });
    expect(final.lastRun.state).to.equal('finished');
  });
});
