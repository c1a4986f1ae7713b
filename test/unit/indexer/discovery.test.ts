import { expect } from 'chai';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPathFilter } from '../../../indexer/discovery/path-filter.ts';
import { walkFolder } from '../../../indexer/discovery/walk-folder.ts';
import { BoundedChannel } from '../../../indexer/pipeline/bounded-channel.ts';

describe('indexer/discovery', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-walk-'));
    for (const f of [
      'b.jpg',
      'a.PNG',
      'c.txt',
      'x/y/z.webp',
      '.git/h.jpg',
      'node_modules/m.jpg',
      '.dot/d.jpg',
      '@eaDir/t.jpg',
      'dir.jpg/in.gif',
    ]) {
      await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await writeFile(path.join(dir, f), 'x');
    }
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const walk = async (opts = {}): Promise<string[]> => {
    const out: string[] = [];
    for await (const f of walkFolder(dir, { filter: createPathFilter(opts) })) {
      out.push(f.error ? `${f.relPath}!` : f.relPath);
    }
    return out;
  };

  it('yields images depth first in name order and skips junk and hidden entries', async () => {
    expect(await walk()).to.deep.equal(['a.PNG', 'b.jpg', 'dir.jpg/in.gif', 'x/y/z.webp']);
    expect(await walk({ includeHidden: true })).to.include.members(['.dot/d.jpg']);
  });

  it('applies include and exclude globs to paths and names', async () => {
    expect(await walk({ include: ['*.webp'] })).to.deep.equal(['x/y/z.webp']);
    expect(await walk({ exclude: ['x'] })).to.deep.equal(['a.PNG', 'b.jpg', 'dir.jpg/in.gif']);
    expect(await walk({ exclude: ['x/**', '*.gif'] })).to.deep.equal(['a.PNG', 'b.jpg']);
  });

  it('survives symlink loops and reports broken links', async () => {
    await symlink(dir, path.join(dir, 'x', 'loop'));
    await symlink(path.join(dir, 'x'), path.join(dir, 'x', 'y', 'up'));
    await symlink(path.join(dir, 'gone.jpg'), path.join(dir, 'broken.jpg'));
    expect(await walk()).to.deep.equal(['a.PNG', 'b.jpg', 'broken.jpg!', 'dir.jpg/in.gif', 'x/y/z.webp']);
  });
});

describe('indexer/BoundedChannel', () => {
  it('makes producers wait when full and delivers in order', async () => {
    const ch = new BoundedChannel<number>(2);
    let pushed = 0;
    const producer = (async () => {
      for (let i = 0; i < 5; i += 1) {
        await ch.push(i);
        pushed += 1;
      }
      ch.close();
    })();
    // Pushes into free space settle as promise jobs: once this turn's jobs have run, the producer
    // has filled the channel and is waiting (no real-clock sleep).
    await new Promise((r) => setImmediate(r));
    expect(pushed).to.equal(2);
    const got: number[] = [];
    for await (const x of ch) got.push(x);
    await producer;
    expect(got).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('rejects pushes after close and rethrows a close error to consumers', async () => {
    const ch = new BoundedChannel<number>(1);
    await ch.push(1);
    const blocked = ch.push(2);
    ch.close(new Error('boom'));
    let pushError: unknown;
    await blocked.catch((e: unknown) => (pushError = e));
    expect(pushError).to.be.instanceOf(Error);
    expect(await ch.pull()).to.equal(1);
    let pullError: unknown;
    await ch.pull().catch((e: unknown) => (pullError = e));
    expect((pullError as Error).message).to.equal('boom');
  });
});
