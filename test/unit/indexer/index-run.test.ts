import { expect } from 'chai';
import { mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INDEX_DEFAULTS, type IndexRequest } from '../../../indexer/pipeline/index-request.ts';
import { runIndex } from '../../../indexer/pipeline/index-run.ts';
import { FakeModel } from './fakes/fake-model.ts';
import { MemoryLibrary } from './fakes/memory-library.ts';

describe('indexer/runIndex (fake model, in-memory library)', () => {
  let dir: string;
  let lib: MemoryLibrary;
  let model: FakeModel;
  const request = (over: Partial<IndexRequest> = {}): IndexRequest => ({
    ...INDEX_DEFAULTS,
    folders: [dir],
    imageFiles: [],
    corpora: [],
    captions: [],
    filter: {},
    batchSize: 2,
    concurrency: 2,
    ...over,
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-idx-'));
    lib = new MemoryLibrary();
    model = new FakeModel();
    await mkdir(path.join(dir, 'sub dir'), { recursive: true });
    await writeFile(path.join(dir, 'a.jpg'), 'IMG:a');
    await writeFile(path.join(dir, 'b.png'), 'IMG:b');
    await writeFile(path.join(dir, 'sub dir', 'c ü.webp'), 'IMG:c');
    await writeFile(path.join(dir, 'notes.md'), 'not an image, not picked up');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('indexes every image in batches and records the run', async () => {
    const summary = await runIndex(request(), lib, model);
    expect(summary.state).to.equal('finished');
    expect(summary.stats.images.indexed).to.equal(3);
    expect(
      lib
        .live('image')
        .map((i) => i.uri)
        .sort(),
    ).to.deep.equal(['a.jpg', 'b.png', 'sub dir/c ü.webp']);
    expect(model.imageBatches).to.deep.equal([2, 1]);
    expect(lib.runs[0]?.state).to.equal('finished');
    expect(lib.runs[0]?.stats['images.indexed']).to.equal(3);
    expect(lib.checkpoints).to.be.greaterThan(0);
  });

  it('re-run does nothing; touch updates mtime only; move keeps the vector; delete removes', async () => {
    await runIndex(request(), lib, model);
    const again = await runIndex(request(), lib, model);
    expect(again.stats.images).to.include({ indexed: 0, unchanged: 3, moved: 0, deleted: 0 });
    expect(model.imagesEncoded).to.equal(3);

    const later = new Date(Date.now() + 5000);
    await utimes(path.join(dir, 'a.jpg'), later, later);
    const aId = lib.findByUri(1, 'a.jpg')!.id;
    await rename(path.join(dir, 'b.png'), path.join(dir, 'sub dir', 'b-moved.png'));
    const bId = lib.findByUri(1, 'b.png')!.id;
    await rm(path.join(dir, 'sub dir', 'c ü.webp'));
    const third = await runIndex(request(), lib, model);
    expect(third.stats.images).to.include({ indexed: 0, touched: 1, moved: 1, deleted: 1, unchanged: 0 });
    expect(model.imagesEncoded).to.equal(3);
    expect(lib.findByUri(1, 'a.jpg')!.id).to.equal(aId);
    expect(lib.findByUri(1, 'sub dir/b-moved.png')!.id).to.equal(bId);
    expect(lib.live('image')).to.have.length(2);
  });

  it('re-encodes a changed file and reuses the vector of a copy', async () => {
    await runIndex(request(), lib, model);
    await writeFile(path.join(dir, 'a.jpg'), 'IMG:a changed');
    await writeFile(path.join(dir, 'copy-of-b.png'), 'IMG:b');
    const summary = await runIndex(request(), lib, model);
    expect(summary.stats.images).to.include({ indexed: 1, reused: 1 });
    expect(model.imagesEncoded).to.equal(4);
  });

  it('records bad files as failed with a reason and finishes', async () => {
    await writeFile(path.join(dir, 'empty.jpg'), '');
    await writeFile(path.join(dir, 'text.jpg'), 'hello');
    await writeFile(path.join(dir, 'bomb.png'), 'IMG:size=100000');
    await symlink(path.join(dir, 'nowhere.jpg'), path.join(dir, 'dangling.jpg'));
    const summary = await runIndex(request(), lib, model);
    expect(summary.state).to.equal('finished');
    expect(summary.stats.images).to.include({ indexed: 3, failed: 4 });
    const reasons = Object.fromEntries(lib.listFailed().map((i) => [i.uri, i.error]));
    expect(reasons['empty.jpg']).to.match(/empty/);
    expect(reasons['text.jpg']).to.match(/not an image/);
    expect(reasons['bomb.png']).to.match(/pixels/);
    expect(reasons['dangling.jpg']).to.match(/broken symbolic link/);
    // Failed files are not retried unless asked, and are retried when asked.
    const again = await runIndex(request(), lib, model);
    expect(again.stats.images.failed).to.equal(0);
    await writeFile(path.join(dir, 'text.jpg'), 'IMG:now fine');
    const retried = await runIndex(request({ retryFailed: true }), lib, model);
    expect(retried.stats.images.indexed).to.equal(1);
    expect(retried.stats.images.failed).to.equal(3);
  });

  it('fails only the item the encoder rejects', async () => {
    model.poison = (await model.preprocessor.preprocess(Buffer.from('IMG:b'))).pixels[0]!;
    const summary = await runIndex(request(), lib, model);
    expect(summary.stats.images).to.include({ indexed: 2, failed: 1 });
    expect(lib.findByUri(1, 'b.png')!.error).to.match(/encoder failed/);
  });

  it('stops after the current batch when aborted, and the next run resumes', async () => {
    for (let i = 0; i < 20; i += 1) {
      await writeFile(path.join(dir, `many-${String(i).padStart(2, '0')}.jpg`), `IMG:${i}`);
    }
    const ctrl = new AbortController();
    const origWrite = lib.write.bind(lib);
    lib.write = (batch) => {
      const r = origWrite(batch);
      ctrl.abort();
      return r;
    };
    const first = await runIndex(request({ signal: ctrl.signal }), lib, model);
    expect(first.state).to.equal('interrupted');
    expect(lib.runs[0]?.state).to.equal('interrupted');
    const committed = lib.live('image').length;
    expect(committed).to.equal(2);
    lib.write = origWrite;
    const second = await runIndex(request(), lib, model);
    expect(second.stats.images.indexed).to.equal(23 - committed);
    expect(lib.live('image')).to.have.length(23);
    expect(model.imagesEncoded).to.equal(23);
  });

  it('a store that cannot write stops the run with its error and records it as failed', async () => {
    lib.write = () => {
      throw Object.assign(new Error('disk full'), { code: 'IO_ERROR' });
    };
    let error: unknown;
    await runIndex(request(), lib, model).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('disk full');
    expect(lib.runs[0]?.state).to.equal('failed');
  });

  it('bounds files and bytes in flight', async () => {
    let active = 0;
    let peak = 0;
    const inner = model.preprocessor.preprocess.bind(model.preprocessor);
    const slow: typeof model.preprocessor.preprocess = async (bytes, options) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      active -= 1;
      return inner(bytes, options);
    };
    const slowModel = {
      ...model,
      text: model.text,
      image: model.image,
      preprocessor: { spec: model.preprocessor.spec, preprocess: slow },
    };
    for (let i = 0; i < 8; i += 1) await writeFile(path.join(dir, `f${i}.jpg`), `IMG:${i}`);
    await runIndex(request({ concurrency: 3 }), lib, slowModel);
    expect(peak).to.equal(3);
    peak = 0;
    await runIndex(
      request({ concurrency: 8, maxBytesInFlight: 9, retryFailed: true }),
      new MemoryLibrary(),
      slowModel,
    );
    expect(peak, 'two 5-byte files exceed a 9-byte budget').to.equal(1);
  });

  it('skips hidden files and junk folders, survives symlink loops, honours globs', async () => {
    await mkdir(path.join(dir, 'node_modules'));
    await writeFile(path.join(dir, 'node_modules', 'x.jpg'), 'IMG:x');
    await writeFile(path.join(dir, '.hidden.jpg'), 'IMG:h');
    await symlink(dir, path.join(dir, 'sub dir', 'loop'));
    const summary = await runIndex(request({ filter: { exclude: ['sub dir/**'] } }), lib, model);
    expect(
      lib
        .live('image')
        .map((i) => i.uri)
        .sort(),
    ).to.deep.equal(['a.jpg', 'b.png']);
    expect(summary.stats.filesSeen).to.equal(2);
    const withLoop = await runIndex(request(), lib, model);
    expect(withLoop.stats.images.indexed).to.equal(1);
  });
});
