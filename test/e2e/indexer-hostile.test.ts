import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { cleanup, clipdex, clipdexJson, copyFixture, tempDir } from './indexer-helpers.ts';

interface Failure {
  uri: string;
  error: string | null;
  path: string | null;
}

describe('e2e: clipdex index on a hostile folder', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await tempDir();
    const hostile = await copyFixture('hostile', dir);
    // Things git cannot hold: a broken link, a link loop, a FIFO that would block a naive read.
    await symlink('missing-target.jpg', path.join(hostile, 'broken link.jpg'));
    await symlink('..', path.join(hostile, 'nested', 'loop'));
    execFileSync('mkfifo', [path.join(hostile, 'pipe.jpg')]);
  });
  after(() => cleanup(dir));

  it('indexes every good file, records every bad one with its reason, and exits 0', async () => {
    const lib = path.join(dir, 'library');
    // Decode in worker threads here (the other tests use the main thread): failures must cross back intact.
    const run = await clipdex([
      'index',
      path.join(dir, 'hostile'),
      '--library',
      lib,
      '--threads',
      '1',
      '--decode-workers',
      '2',
    ]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/4 indexed/);
    expect(run.stdout).to.match(/8 failed/);

    const status = await clipdexJson<{ images: Record<string, number> }>(['status', '--library', lib]);
    expect(status.images).to.deep.equal({ indexed: 4, failed: 8, pending: 0, deleted: 0 });

    const { failures } = await clipdexJson<{ failures: Failure[] }>(['failures', '--library', lib]);
    const reasons = Object.fromEntries(failures.map((f) => [f.uri, f.error ?? '']));
    expect(Object.keys(reasons).sort()).to.deep.equal([
      'bomb-20000.png',
      'bomb-header.png',
      'broken link.jpg',
      'empty.jpg',
      'garbage-after-signature.png',
      'not-an-image.jpg',
      'pipe.jpg',
      'truncated.jpg',
    ]);
    expect(reasons['empty.jpg']).to.match(/empty/);
    // libvips keeps one error buffer per process, so the detail can vary under concurrency; the category cannot.
    expect(reasons['truncated.jpg']).to.match(/not a decodable image/);
    expect(reasons['not-an-image.jpg']).to.match(/unsupported image format|not a decodable image/);
    expect(reasons['garbage-after-signature.png']).to.match(/not a decodable image/);
    expect(reasons['bomb-header.png']).to.match(/more pixels than allowed/);
    expect(reasons['bomb-20000.png']).to.match(/more pixels than allowed/);
    expect(reasons['broken link.jpg']).to.match(/broken symbolic link/);
    expect(reasons['pipe.jpg']).to.match(/not a regular file/);
    expect(failures.every((f) => f.path?.startsWith(path.join(dir, 'hostile')))).to.equal(true);

    // Retrying changes nothing for files that are still bad, and the run still exits 0.
    const retry = await clipdexJson<{ images: Record<string, number> }>([
      'index',
      path.join(dir, 'hostile'),
      '--library',
      lib,
      '--retry-failed',
      '--threads',
      '1',
    ]);
    expect(retry.images).to.include({ indexed: 0, failed: 8, unchanged: 4 });
  });
});
