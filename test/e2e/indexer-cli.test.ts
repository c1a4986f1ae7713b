import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cleanup, clipdex, clipdexJson, copyFixture, FIXTURES, REPO, tempDir } from './indexer-helpers.ts';

interface Counts {
  indexed: number;
  failed: number;
  pending: number;
  deleted: number;
}
interface Summary {
  state: string;
  images: Record<string, number>;
  texts: Record<string, number>;
  pairs: number;
  failures: unknown[];
}
interface Hit {
  id: number;
  kind: string;
  uri: string;
  text?: string;
  score: number;
}

describe('e2e: clipdex index / status / search / failures (bundled model)', function () {
  this.timeout(180_000);
  let dir: string;
  let photos: string;
  let lib: string;
  let first: Summary;
  const lib_ = () => ['--library', lib, '--threads', '1'];
  const search = async (args: string[]): Promise<Hit[]> =>
    (await clipdexJson<{ results: Hit[] }>(['search', ...args, ...lib_()])).results;

  before(async () => {
    dir = await tempDir();
    photos = await copyFixture('photos', dir);
    lib = path.join(dir, 'library');
    const captions = path.join(dir, 'captions.jsonl');
    // The manifest names ../photos/…; keep it beside the copied folder.
    await writeFile(
      captions,
      (await readFile(path.join(FIXTURES, 'captions', 'captions.jsonl'), 'utf8')).replaceAll(
        '../photos/',
        'photos/',
      ),
    );
    first = await clipdexJson<Summary>([
      'index',
      photos,
      path.join(FIXTURES, 'texts', 'lines.txt'),
      '--captions',
      captions,
      ...lib_(),
    ]);
  });
  after(() => cleanup(dir));

  it('indexes every image format, the captions and the corpus, skipping hidden and @eaDir', () => {
    expect(first.state).to.equal('finished');
    expect(first.images).to.include({ indexed: 11, failed: 0 });
    expect((first.texts.indexed ?? 0) + (first.texts.reused ?? 0)).to.equal(12 + 5);
    expect(first.pairs).to.equal(12);
  });

  it('status --json reports counts by status, the model and the last run', async () => {
    const status = await clipdexJson<{
      images: Counts;
      texts: Counts;
      model: { name: string; dim: number };
      lastRun: { state: string };
    }>(['status', '--library', lib]);
    expect(status.images).to.deep.equal({ indexed: 11, failed: 0, pending: 0, deleted: 0 });
    expect(status.texts).to.deep.equal({ indexed: 17, failed: 0, pending: 0, deleted: 0 });
    expect(status.model.name).to.equal('clipdex-mini');
    expect(status.model.dim).to.be.greaterThan(0);
    expect(status.lastRun.state).to.equal('finished');
  });

  it('search by words finds the right image near the top', async () => {
    const queries: Array<[string, string]> = [
      ['dog face', 'dog face.jpg'],
      ['horse', 'animals/horse.webp'],
      ['fish', 'animals/sea/fish.tiff'],
      ['bicycle', 'travel/bicycle.webp'],
      ['sun', 'sky/sun.jpg'],
    ];
    let found = 0;
    for (const [q, uri] of queries) {
      const hits = await search([q, '--k', '3']);
      expect(hits).to.have.length(3);
      expect(hits.every((h) => h.kind === 'image' && h.score <= 1 && h.score >= -1)).to.equal(true);
      expect(hits[0]!.score).to.be.at.least(hits[2]!.score);
      if (hits.some((h) => h.uri === uri)) found += 1;
    }
    expect(found, 'queries whose image is in the top 3 of 11').to.be.at.least(4);
  });

  it('search by image finds its caption', async () => {
    let found = 0;
    for (const [file, caption] of [
      ['animals/horse.webp', 'horse'],
      ['travel/bicycle.webp', 'bicycle'],
      ['animals/cat.png', 'cat'],
    ] as const) {
      const hits = await search(['--image', path.join(photos, file), '--target', 'text', '--k', '3']);
      expect(hits.every((h) => h.kind === 'text' && typeof h.text === 'string')).to.equal(true);
      if (hits.some((h) => h.text === caption)) found += 1;
    }
    expect(found, 'images whose caption is in the top 3').to.be.at.least(2);
  });

  it('a re-run indexes nothing', async () => {
    const again = await clipdexJson<Summary>(['index', photos, ...lib_()]);
    expect(again.images).to.include({
      indexed: 0,
      reused: 0,
      moved: 0,
      touched: 0,
      deleted: 0,
      failed: 0,
      unchanged: 11,
    });
  });

  it('COCO and Flickr30k manifests link their captions to the same images', async () => {
    const run = await clipdexJson<Summary & { captionsWithoutImage: number }>([
      'index',
      photos,
      '--captions',
      path.join(FIXTURES, 'captions', 'coco-captions.json'),
      '--captions',
      path.join(FIXTURES, 'captions', 'flickr30k.csv'),
      ...lib_(),
    ]);
    expect(run.images.unchanged).to.equal(11);
    expect(run.texts.indexed).to.equal(24);
    expect(run.pairs).to.equal(24);
    expect(run.captionsWithoutImage).to.equal(0);
    const hits = await search(['a picture of bicycle', '--target', 'text', '--k', '1']);
    expect(hits[0]?.text).to.equal('a picture of bicycle');
    expect(hits[0]?.uri).to.match(/^coco-captions\.json#\d+$/);
  });

  it('touch, move, change and delete: the re-run does the minimum', async () => {
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(photos, 'dog face.jpg'), later, later);
    await rename(path.join(photos, 'animals', 'cat.png'), path.join(photos, 'kitty.png'));
    await rm(path.join(photos, 'sky', 'sun.jpg'));
    await writeFile(
      path.join(photos, 'food', 'banana.jpeg'),
      await readFile(path.join(REPO, 'fixtures', 'demo', 'images', 'carrot-noto.png')),
    );
    const run = await clipdexJson<Summary>(['index', photos, ...lib_()]);
    expect(run.images).to.include({
      indexed: 1,
      touched: 1,
      moved: 1,
      deleted: 1,
      unchanged: 7,
      failed: 0,
      reused: 0,
    });
    const status = await clipdexJson<{ images: Counts }>(['status', '--library', lib]);
    expect(status.images).to.deep.equal({ indexed: 10, failed: 0, pending: 0, deleted: 1 });
    const hits = await search(['--image', path.join(photos, 'kitty.png'), '--k', '1']);
    expect(hits[0]?.uri).to.equal('kitty.png');
    expect(hits[0]?.score).to.be.closeTo(1, 1e-3);
  });

  it('failures lists nothing for a clean library; bad arguments exit non-zero with a message', async () => {
    expect(
      (await clipdexJson<{ failures: unknown[] }>(['failures', '--library', lib])).failures,
    ).to.deep.equal([]);
    const missing = await clipdex(['index', path.join(dir, 'no-such-folder'), '--library', lib]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/no such file or directory \[NOT_FOUND\]/);
    const noLib = await clipdex(['status', '--library', path.join(dir, 'nothing-here')]);
    expect(noLib.code).to.not.equal(0);
  });

  it('--help loads no native module', async () => {
    const hook = path.join(dir, 'hook.mjs');
    await writeFile(
      path.join(dir, 'hooks.mjs'),
      "export async function resolve(s, c, next) { if (/^(sharp|onnxruntime-node|better-sqlite3|hnswlib-node)$/.test(s)) process.stderr.write('NATIVE ' + s + '\\n'); return next(s, c); }\n",
    );
    await writeFile(
      hook,
      `import { register } from 'node:module'; register(${JSON.stringify('file://' + path.join(dir, 'hooks.mjs'))});\n`,
    );
    const withHook = (args: string[]) =>
      new Promise<{ out: string; err: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', hook, path.join(REPO, 'bin', 'clipdex.js'), ...args],
          { cwd: REPO },
          (_e, out, err) => resolve({ out, err }),
        );
      });
    // The hook does see native modules when a command really runs.
    expect((await withHook(['status', '--library', lib])).err).to.match(/NATIVE better-sqlite3/);
    for (const cmd of ['index', 'search', 'status', 'failures']) {
      const r = await withHook([cmd, '--help']);
      expect(r.out).to.match(/--library/);
      expect(r.err).to.not.match(/NATIVE/);
    }
  });
});
