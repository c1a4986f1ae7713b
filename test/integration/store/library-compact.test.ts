import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

const CLI = fileURLToPath(new URL('../../../bin/clipdex.js', import.meta.url));

describe('library store: compaction', function () {
  let dir: string;
  let ids: readonly number[];

  beforeEach(async () => {
    dir = await tempDir();
    const library = await openLibrary(dir, { fingerprint: fingerprint() });
    const rootId = library.ensureRoot(path.join(dir, 'media')).id;
    ids = library.write({ items: Array.from({ length: 100 }, (_, i) => imageWrite(rootId, i)) }).itemIds;
    await library.checkpoint(); // sealed, so the deletions below leave tombstoned slots
    library.write({ deletions: ids.slice(0, 30) });
    library.write({
      items: [
        { kind: 'text', rootId, uri: 't.txt#1', text: 'hello', status: 'indexed', vector: unitVector(5000) },
      ],
    });
    await library.close();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('rebuilds the graphs from SQLite without the deleted slots', async () => {
    const library = await openLibrary(dir, {});
    try {
      const reports = await library.compact();
      expect(reports.map(({ ms: _ms, ...r }) => r)).to.deep.equal([
        { kind: 'image', vectors: 70, indexedInDatabase: 70, slotsBefore: 100, slotsAfter: 70 },
        { kind: 'text', vectors: 1, indexedInDatabase: 1, slotsBefore: 1, slotsAfter: 1 },
      ]);
      expect(library.search('image', unitVector(50), { k: 1 })[0]?.id).to.equal(ids[50]);
      expect(library.search('image', unitVector(10), { k: 70 }).map((h) => h.id)).to.not.include(ids[10]);
    } finally {
      await library.close();
    }
    const reopened = await openLibrary(dir, { readOnly: true });
    expect(reopened.recovery.map((r) => [r.action, r.replayed])).to.deep.equal([
      ['loaded', 0],
      ['loaded', 0],
    ]);
    expect(reopened.graphSize('image')).to.equal(70);
    await reopened.close();
  });

  it('is a CLI command that prints the counts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      CLI,
      'library',
      'compact',
      '--library',
      dir,
    ]);
    expect(stdout).to.include(`library ${dir}`);
    expect(stdout).to.match(
      /image\s+70 vectors in the graph, 70 in the database, 30 deleted slots reclaimed/,
    );
    expect(stdout).to.match(/text\s+1 vector in the graph, 1 in the database, 0 deleted slots reclaimed/);
  });
});

describe('clipdex library verify and library info', function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  const cli = (args: string[]) =>
    promisify(execFile)(process.execPath, [CLI, ...args]).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

  it('verify finds a flipped byte the cheap open check does not read; compact repairs it', async () => {
    const library = await openLibrary(dir, { fingerprint: fingerprint() });
    const rootId = library.ensureRoot(path.join(dir, 'media')).id;
    library.write({ items: Array.from({ length: 2000 }, (_, i) => imageWrite(rootId, i)) });
    await library.checkpoint();
    await library.idle(); // a tail this size is sealed in the background
    const [segment] = library.info().kinds[0]!.segments;
    await library.close();
    expect((await cli(['library', 'verify', '--library', dir])).stdout)
      .to.include('1 segment')
      .and.include('ok');

    // hnswlib's level 0: 96-byte header, then per element links (4 + 2·M·4 bytes), vector, label.
    const file = path.join(dir, 'segments', segment!.file);
    const bytes = await fs.readFile(file);
    const element = Number(bytes.readBigUInt64LE(24));
    const sampled = (at: number) =>
      at < 65_536 ||
      at >= bytes.length - 65_536 ||
      Array.from({ length: 16 }, (_, i) => Math.floor((bytes.length * (i + 1)) / 17)).some(
        (s) => at >= s && at < s + 4096,
      );
    let at = 96 + 132 + 1;
    while (sampled(at)) at += element;
    bytes[at]! ^= 0x40;
    await fs.writeFile(file, bytes);

    const reopened = await openLibrary(dir, { readOnly: true });
    expect(reopened.recovery[0]).to.include({ action: 'loaded' }); // the cheap check passes
    await reopened.close();
    const bad = await cli(['library', 'verify', '--library', dir, '--json']);
    expect(bad.code).to.equal(1);
    expect((JSON.parse(bad.stdout) as { problems: string[] }).problems).to.deep.equal([
      `${segment!.file}: contents differ from the sha256 recorded when it was sealed`,
    ]);
    expect((await cli(['library', 'compact', '--library', dir])).code).to.equal(0);
    expect((await cli(['library', 'verify', '--library', dir])).code).to.equal(0);

    const info = await cli(['library', 'info', '--library', dir]);
    expect(info.stdout).to.match(/model\s+test-clip-a \(id fp-test-a, 16-d\)/);
    expect(info.stdout).to.match(
      /image\s+2000 indexed: 1 segment \(2000 vectors, 0 deleted, [\d.]+ MB\) \+ tail 0/,
    );
  });
});
