import { expect } from 'chai';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { cleanup, clipdexJson, makeDistinctPngs, spawnClipdex, tempDir } from './indexer-helpers.ts';

interface Counts { indexed: number; failed: number; pending: number; deleted: number }

describe('e2e: kill -9 in the middle of clipdex index', function () {
  this.timeout(240_000);
  let dir: string;
  after(() => cleanup(dir));

  it('loses nothing committed; the rerun completes with exact counts and no duplicates', async () => {
    dir = await tempDir();
    const photos = path.join(dir, 'photos');
    await mkdir(photos);
    const total = await makeDistinctPngs(photos, 3);
    const lib = path.join(dir, 'library');
    const args = ['index', photos, '--library', lib, '--threads', '1', '--batch-size', '4', '--concurrency', '1'];

    const child = spawnClipdex(args);
    const exited = once(child, 'exit');
    // Poll a read-only status until the first batches are committed, then kill without warning.
    let atKill: Counts | undefined;
    for (let i = 0; i < 200 && child.exitCode === null; i += 1) {
      const status = await clipdexJson<{ images: Counts }>(['status', '--library', lib]).catch(() => undefined);
      if (status && status.images.indexed > 0) {
        atKill = status.images;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect(signal, `the run ended on its own (exit ${String(code)}) before it could be killed`).to.equal('SIGKILL');
    expect(atKill?.indexed).to.be.greaterThan(0);
    expect(atKill!.indexed).to.be.lessThan(total);

    const afterKill = await clipdexJson<{ images: Counts; lastRun: { state: string } }>(['status', '--library', lib]);
    expect(afterKill.images.indexed).to.be.at.least(atKill!.indexed);
    expect(afterKill.images.indexed % 4, 'whole batches only').to.equal(0);

    const rerun = await clipdexJson<{ state: string; images: Record<string, number> }>(args);
    expect(rerun.state).to.equal('finished');
    expect(rerun.images.unchanged).to.equal(afterKill.images.indexed);
    expect(rerun.images.indexed).to.equal(total - afterKill.images.indexed);
    expect(rerun.images.failed).to.equal(0);

    const final = await clipdexJson<{ images: Counts; lastRun: { state: string } }>(['status', '--library', lib]);
    expect(final.images).to.deep.equal({ indexed: total, failed: 0, pending: 0, deleted: 0 });
    expect(final.lastRun.state).to.equal('finished');
  });
});
