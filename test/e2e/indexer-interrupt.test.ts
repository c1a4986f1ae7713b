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

describe('e2e: Ctrl-C (SIGINT) in the middle of clipdex index', function () {
  this.timeout(240_000);
  let dir: string;
  after(() => cleanup(dir));

  it('stops after the current batch with exit 130; the next run resumes without re-encoding', async () => {
    dir = await tempDir();
    const photos = path.join(dir, 'photos');
    await mkdir(photos);
    const total = await makeDistinctPngs(photos, 1, 120);
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

    const child = spawnClipdex([...args, '--json']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit');
    // Watch the library read-only (as `clipdex serve` would) until the first batch is committed,
    // then press "Ctrl-C".
    let atSignal: number | undefined;
    while (child.exitCode === null && atSignal === undefined) {
      const reader = await openLibrary(lib, { readOnly: true }).catch(() => undefined);
      const indexed = reader?.counts('image').indexed ?? 0;
      await reader?.close();
      if (indexed > 0) atSignal = indexed;
      else await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null, NodeJS.Signals | null];
    expect(code, `exit status; stderr: ${stderr}`).to.equal(130);
    expect(stderr).to.include('stopping after the current batch');
    expect(atSignal, 'the run finished before it could be interrupted').to.be.greaterThan(0);

    // The interrupted run reports itself, and what it committed is whole batches.
    const summary = JSON.parse(stdout) as { state: string; images: { indexed: number } };
    expect(summary.state).to.equal('interrupted');
    const afterSignal = await clipdexJson<{ images: Counts; lastRun: { state: string } }>([
      'status',
      '--library',
      lib,
    ]);
    expect(afterSignal.lastRun.state).to.equal('interrupted');
    expect(afterSignal.images.indexed).to.equal(summary.images.indexed);
    expect(afterSignal.images.indexed).to.be.at.least(atSignal!).and.below(total);
    expect(afterSignal.images.indexed % 4, 'whole batches only').to.equal(0);

    const rerun = await clipdexJson<{ state: string; images: Record<string, number> }>(args);
    expect(rerun.state).to.equal('finished');
    expect(rerun.images.unchanged).to.equal(afterSignal.images.indexed);
    expect(rerun.images.indexed).to.equal(total - afterSignal.images.indexed);
    const final = await clipdexJson<{ images: Counts }>(['status', '--library', lib]);
    expect(final.images).to.deep.equal({ indexed: total, failed: 0, pending: 0, deleted: 0 });
  });
});
