import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLibrary } from '../../../src/store/open-library.ts';
import { imageWrite, fingerprint, removeDir, tempDir, unitVector } from './store-test-context.ts';

/**
 * Full and write-protected disks, with no mount privileges: each case runs the store in a child
 * process under a limit any user may set.
 *  - Full disk: `ulimit -f` (RLIMIT_FSIZE; Node ignores SIGXFSZ, so writes past the limit come
 *    back short or fail with EFBIG, which SQLite and hnswlib see just as they see ENOSPC).
 *  - Write-protected: a chmod 0555 directory. Root ignores permission bits through
 *    CAP_DAC_OVERRIDE, so as root the child runs without it (setpriv), or as `nobody`.
 * Nothing here is skipped: each mechanism works for root and non-root alike on Linux.
 */
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'children', 'limited-writer.child.ts');

interface Outcome {
  code: string;
  message: string;
}
interface Report {
  committed?: number;
  indexed?: number;
  top?: unknown;
  writeError?: Outcome | null;
  writerError?: Outcome | null;
  checkpointError?: Outcome | null;
  compactError?: Outcome | null;
}

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the child under `ulimit -f <blocks>` (512-byte blocks in POSIX sh) or without DAC override. */
async function runChild(
  args: string[],
  limit: { fileBlocks?: number; writeProtected?: boolean },
): Promise<Report> {
  const node = [process.execPath, '--import', 'tsx', CHILD, ...args];
  let command: string[] = node;
  const options: { uid?: number; gid?: number } = {};
  if (limit.fileBlocks !== undefined) {
    command = ['sh', '-c', `ulimit -f ${limit.fileBlocks} && exec "$@"`, 'sh', ...node];
  }
  if (limit.writeProtected && process.getuid?.() === 0) {
    if (hasSetpriv()) {
      command = ['setpriv', '--bounding-set=-dac_override,-dac_read_search,-fowner', ...command];
    } else Object.assign(options, { uid: 65534, gid: 65534 });
  }
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, `child ${args.join(' ')} failed: ${stderr}`).to.equal(0);
  return JSON.parse(stdout.trim().split('\n').pop()!) as Report;
}

describe('library store: full and write-protected disks (unprivileged)', function () {
  let base: string;

  beforeEach(async () => {
    base = await tempDir();
    await fs.chmod(base, 0o755); // mkdtemp is 0700; a child running as nobody must get in
  });
  afterEach(async () => {
    await fs.chmod(path.join(base, 'lib'), 0o755).catch(() => undefined);
    await removeDir(base);
  });

  it('a full disk fails the write cleanly and loses nothing committed', async () => {
    const dir = path.join(base, 'lib');
    const dim = 256;
    // 1 MiB per file: the WAL reaches it after a few hundred 1 KiB vectors.
    const filled = await runChild(['fill', dir, String(dim)], { fileBlocks: 2048 });
    expect(filled.writeError?.code).to.equal('IO_ERROR');
    expect(filled.writeError?.message).to.match(
      /cannot write to library .+: (no space left on device|disk I\/O error)/,
    );
    const committed = filled.committed!;
    expect(committed).to.be.greaterThan(0);
    expect(filled.indexed).to.equal(committed);
    expect(filled.top).to.equal(4);

    // Even with the disk "fuller" (128 KiB per file, smaller than the graph; a one-item batch now
    // also writes its keyword-index pages, ~90 KiB of WAL in all), the writer opens and
    // accepts a batch; its checkpoint writes only the new vector's segment, so it succeeds, while
    // rewriting the whole graph (compact) fails with a clear error and leaves no temp file.
    const squeezed = await runChild(['open-write-checkpoint', dir, String(dim)], { fileBlocks: 256 });
    expect(squeezed.indexed).to.equal(committed + 1);
    expect(squeezed.checkpointError).to.equal(null);
    expect(squeezed.compactError?.code).to.equal('IO_ERROR');
    expect(squeezed.compactError?.message).to.match(
      /HNSW graph .+(incompletely|no space left|file too large|EFBIG)/,
    );

    // Once space is freed everything is there and findable.
    const reader = await openLibrary(dir, { readOnly: true });
    expect(reader.graphSize('image')).to.equal(committed + 1);
    await reader.close();
    const after = await openLibrary(dir, { fingerprint: fingerprint({ dim }) });
    try {
      expect(after.graphSize('image')).to.equal(committed + 1);
      expect(after.search('image', unitVector(committed - 1, dim), { k: 1 })[0]?.id).to.equal(committed);
      expect(after.search('image', unitVector(9999, dim), { k: 1 })[0]?.score).to.be.closeTo(1, 1e-6);
      const rootId = after.ensureRoot(dir).id;
      after.write({ items: [imageWrite(rootId, 10_000, { vector: unitVector(10_000, dim) })] });
      await after.checkpoint();
    } finally {
      await after.close();
    }
    expect((await fs.readdir(dir)).filter((name) => name.includes('.tmp-'))).to.deep.equal([]);
    expect(
      (await fs.readdir(path.join(dir, 'segments'))).filter((name) => name.includes('.tmp-')),
    ).to.deep.equal([]);
  });

  it('a write-protected location refuses writers with a clear error and still opens read-only', async () => {
    const dir = path.join(base, 'lib');
    const library = await openLibrary(dir, { fingerprint: fingerprint() });
    const rootId = library.ensureRoot(dir).id;
    const ids = library.write({ items: [1, 2, 3].map((n) => imageWrite(rootId, n)) }).itemIds;
    await library.close();
    await fs.chmod(dir, 0o555);

    const report = await runChild(['open-both', dir, '16'], { writeProtected: true });
    expect(report.writerError?.code).to.equal('IO_ERROR');
    expect(report.writerError?.message).to.include('read-only').and.include('can still be opened read-only');
    expect(report.top).to.deep.equal({ id: ids[1], score: 1 });

    await fs.chmod(dir, 0o755);
    const writer = await openLibrary(dir, {});
    expect(writer.counts('image').indexed).to.equal(3);
    await writer.close();
  });
});
