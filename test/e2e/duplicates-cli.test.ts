/**
 * `clipdex duplicates` end to end: a small generated set (two demo pictures and eight edits of
 * them, plus a file that does not decode) indexed by the real CLI with the bundled model.
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateEvalSet, type EvalFile } from '../../bench/duplicate-eval-set.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { clipdex, clipdexJson } from './indexer-helpers.ts';

interface Report {
  groups: Array<{
    tier: string;
    keep: number;
    reason: string;
    items: Array<{ id: number; uri: string; width: number; height: number; size: number; distance: number }>;
  }>;
  withoutHash: number;
  failedToDecode: number;
}

describe('clipdex duplicates (e2e)', function () {
  this.timeout(120_000);
  let work: string;
  let files: EvalFile[];
  let lib: string;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'clipdex-dups-'));
    const set = path.join(work, 'set');
    files = await generateEvalSet(set, { demo: 2, photos: 0, editsPerSource: 4 });
    await writeFile(path.join(set, 'broken.jpg'), 'this is not a JPEG');
    lib = path.join(work, 'lib');
    const r = await clipdex(['index', set, '--library', lib, '--json', '--decode-workers', '1']);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => rm(work, { recursive: true, force: true }));

  it('prints exact and near groups in the documented JSON shape, each family apart', async () => {
    const report = await clipdexJson<Report>(['duplicates', '--library', lib]);
    const family = new Map(files.map((f) => [f.file, f.family]));
    expect(report).to.deep.include({ withoutHash: 0, failedToDecode: 1 });
    const exact = report.groups.filter((g) => g.tier === 'exact');
    expect(exact).to.have.length(1);
    expect(exact[0]!.items.map((m) => m.uri).sort()).to.deep.equal(
      files
        .filter((f) => f.variant === 'source' || f.variant === 'copy')
        .filter((f) => f.family === files.find((x) => x.variant === 'copy')!.family)
        .map((f) => f.file)
        .sort(),
    );
    for (const g of report.groups) {
      expect(g).to.have.keys('tier', 'keep', 'reason', 'items');
      expect(g.items[0]!.id).to.equal(g.keep);
      expect(g.items[0]).to.have.keys('id', 'uri', 'width', 'height', 'size', 'distance');
      if (g.tier !== 'similar') {
        expect(new Set(g.items.map((m) => family.get(m.uri))).size, JSON.stringify(g)).to.equal(1);
      }
    }
    const near = report.groups.filter((g) => g.tier === 'near');
    expect(near.length).to.be.at.least(1);
    const nearUris = near.flatMap((g) => g.items.map((m) => m.uri));
    expect(nearUris.some((u) => u.includes('~jpeg-'))).to.equal(true);
    // The exact pair appears in near only through its kept item.
    const exactOthers = exact[0]!.items.slice(1).map((m) => m.uri);
    for (const u of exactOthers) expect(nearUris).not.to.include(u);
  });

  it('filters by tier', async () => {
    const report = await clipdexJson<Report>(['duplicates', '--library', lib, '--tier', 'exact']);
    expect(report.groups.map((g) => g.tier)).to.deep.equal(['exact']);
  });

  it('stores a hash for each decoded image and none for the file that failed', async () => {
    const library = await openLibrary(lib, { readOnly: true, create: false });
    try {
      const sigs = library.imageSignatures(0, 100);
      expect(sigs).to.have.length(files.length);
      for (const s of sigs) expect(s.phash, s.uri).to.match(/^[0-9a-f]{16}$/);
      const failed = library.listFailed();
      expect(failed.map((f) => f.uri)).to.deep.equal(['broken.jpg']);
      expect(library.perceptualHashes([failed[0]!.id]).size).to.equal(0);
    } finally {
      await library.close();
    }
  });
});
