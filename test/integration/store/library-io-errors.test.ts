import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../../../src/errors.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

/**
 * Real ENOSPC and EROFS from a real filesystem: a tiny tmpfs mounted for the test (remounted
 * read-only for the second case). Root ignores chmod, so permission bits would prove nothing.
 * Needs CAP_SYS_ADMIN to mount; skipped (with a note) where that is not allowed.
 */
function mount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function rejection(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(EngineError);
    return error as EngineError;
  }
  return expect.fail('expected a rejection');
}

function thrown(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(EngineError);
    return error as EngineError;
  }
  return expect.fail('expected an error');
}

describe('library store: full and read-only disks', function () {
  let mnt: string;
  let mounted = false;

  beforeEach(async function () {
    mnt = await tempDir();
    mounted = mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    if (!mounted) this.skip(); // not permitted to mount here (unprivileged CI)
  });
  afterEach(async () => {
    if (mounted) execFileSync('umount', [mnt]);
    await removeDir(mnt);
  });

  it('a full disk fails the write cleanly and loses nothing committed', async () => {
    const dir = path.join(mnt, 'lib');
    const dim = 256;
    const library = await openLibrary(dir, { fingerprint: fingerprint({ dim }) });
    const rootId = library.ensureRoot(dir).id;
    let committed = 0;
    const error = thrown(() => {
      for (;;) {
        library.write({ items: Array.from({ length: 20 }, (_, i) => imageWrite(rootId, committed + i, { vector: unitVector(committed + i, dim) })) });
        committed += 20;
      }
    });
    expect(error.code).to.equal('IO_ERROR');
    expect(error.message).to.match(/cannot write to library .+: no space left on device/);
    expect(committed).to.be.greaterThan(0);
    expect(library.counts('image').indexed).to.equal(committed);
    expect(library.search('image', unitVector(3, dim), { k: 1 })[0]?.id).to.equal(4);
    const saveError = await rejection(library.checkpoint());
    expect(saveError.code).to.equal('IO_ERROR');
    expect(saveError.message).to.match(/HNSW graph .+(incompletely|no space left)/);
    await library.close().catch(() => undefined); // its checkpoint fails too, but it lets go

    const reader = await openLibrary(dir, { readOnly: true });
    expect(reader.graphSize('image')).to.equal(committed);
    await reader.close();
    // Even with the disk still full, the writer opens (recovery is saved later) …
    const writer = await openLibrary(dir, {});
    expect(writer.counts('image').indexed).to.equal(committed);
    await writer.close().catch(() => undefined);
    // … and once space is freed everything is there and findable.
    expect(mount(['-o', 'remount,size=8m', mnt])).to.equal(true);
    const after = await openLibrary(dir, { fingerprint: fingerprint({ dim }) });
    try {
      expect(after.graphSize('image')).to.equal(committed);
      expect(after.search('image', unitVector(committed - 1, dim), { k: 1 })[0]?.id).to.equal(committed);
      after.write({ items: [imageWrite(rootId, 9999, { vector: unitVector(9999, dim) })] });
      await after.checkpoint();
    } finally {
      await after.close();
    }
    expect((await fs.readdir(dir)).filter((name) => name.includes('.tmp-'))).to.deep.equal([]);
  });

  it('a read-only location refuses writers with a clear error and still opens read-only', async () => {
    const dir = path.join(mnt, 'lib');
    const library = await openLibrary(dir, { fingerprint: fingerprint() });
    const rootId = library.ensureRoot(dir).id;
    const ids = library.write({ items: [1, 2, 3].map((n) => imageWrite(rootId, n)) }).itemIds;
    await library.close();
    expect(mount(['-o', 'remount,ro', mnt])).to.equal(true);

    const error = await rejection(openLibrary(dir, {}));
    expect(error.code).to.equal('IO_ERROR');
    expect(error.message).to.include('read-only').and.include('can still be opened read-only');
    const reader = await openLibrary(dir, { readOnly: true });
    try {
      expect(reader.search('image', unitVector(2), { k: 1 })[0]).to.deep.equal({ id: ids[1], score: 1 });
    } finally {
      await reader.close();
    }
    expect(mount(['-o', 'remount,rw', mnt])).to.equal(true);
    const writer = await openLibrary(dir, {});
    expect(writer.counts('image').indexed).to.equal(3);
    await writer.close();
  });
});
