import { expect } from 'chai';
import { EngineError } from '../../../src/errors.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { spawnChild, type Child } from './child-process.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

async function openBusy(dir: string): Promise<EngineError> {
  try {
    const library = await openLibrary(dir, { fingerprint: fingerprint() });
    await library.close();
  } catch (error) {
    expect(error).to.be.instanceOf(EngineError);
    return error as EngineError;
  }
  return expect.fail('expected LIBRARY_BUSY');
}

describe('library store: one writer, many readers', function () {
  let dir: string;
  let child: Child | undefined;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    if (child && child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    child = undefined;
    await removeDir(dir);
  });

  it('refuses a second writer in the same process and frees the lock on close', async () => {
    const first = await openLibrary(dir, { fingerprint: fingerprint() });
    const error = await openBusy(dir);
    expect(error.code).to.equal('LIBRARY_BUSY');
    expect(error.message).to.include(`is busy: being written by pid ${process.pid}`);
    await first.close();
    const second = await openLibrary(dir, {});
    await second.close();
  });

  it('a reader opened while no writer runs follows a writer that starts later', async () => {
    const first = await openLibrary(dir, { fingerprint: fingerprint() });
    const rootId = first.ensureRoot(dir).id;
    first.write({ items: [imageWrite(rootId, 1)] });
    await first.close(); // leaves the database in rollback-journal mode
    const reader = await openLibrary(dir, { readOnly: true });
    const writer = await openLibrary(dir, {}); // switches it back to WAL under the reader
    try {
      writer.write({ items: [imageWrite(rootId, 2), imageWrite(rootId, 3)] });
      reader.refresh();
      expect(reader.graphSize('image')).to.equal(3);
      expect(reader.search('image', unitVector(3), { k: 1 })[0]?.id).to.equal(3);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('refuses a writer while another process writes; readers open and refresh; kill -9 frees the lock', async () => {
    child = spawnChild('hold-writer.child.ts', [dir]);
    const [, pid] = await child.waitFor(/^ready (\d+)$/);
    const busy = await openBusy(dir);
    expect(busy.code).to.equal('LIBRARY_BUSY');
    expect(busy.message).to.match(
      new RegExp(`library .+ is busy: being written by pid ${pid} on .+ since \\d{4}-`),
    );
    expect(busy.details).to.include({ pid: Number(pid) });

    const reader = await openLibrary(dir, { readOnly: true });
    const reader2 = await openLibrary(dir, { readOnly: true });
    try {
      expect(reader.readOnly).to.equal(true);
      expect(reader.counts('image').indexed).to.equal(10);
      expect(reader.graphSize('image')).to.equal(10);
      expect(() => reader.write({ items: [] }))
        .to.throw(EngineError)
        .with.property('code', 'INVALID_INPUT');
      child.process.stdin.write('more\n');
      await child.waitFor(/^wrote 20$/);
      expect(reader.graphSize('image')).to.equal(10);
      reader.refresh();
      expect(reader.graphSize('image')).to.equal(20);
      expect(reader.search('image', unitVector(15), { k: 1 })[0]?.id).to.equal(16);
      expect(reader2.counts('image').indexed).to.equal(20);
    } finally {
      await reader.close();
      await reader2.close();
    }

    child.process.kill('SIGKILL');
    expect((await child.exited).signal).to.equal('SIGKILL');
    const next = await openLibrary(dir, { fingerprint: fingerprint() });
    try {
      expect(next.counts('image').indexed).to.equal(20);
      expect(next.graphSize('image')).to.equal(20);
    } finally {
      await next.close();
    }
  });
});
