import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INDEX_DEFAULTS, type IndexRequest } from '../../../indexer/pipeline/index-request.ts';
import { runIndex } from '../../../indexer/pipeline/index-run.ts';
import { FakeModel } from './fakes/fake-model.ts';
import { MemoryLibrary } from './fakes/memory-library.ts';

describe('indexer/runIndex texts and captions (fakes)', () => {
  let dir: string;
  let lib: MemoryLibrary;
  let model: FakeModel;
  const request = (over: Partial<IndexRequest> = {}): IndexRequest => ({
    ...INDEX_DEFAULTS,
    folders: [path.join(dir, 'img')],
    imageFiles: [],
    corpora: [path.join(dir, 'corpus.txt')],
    captions: [path.join(dir, 'caps.jsonl')],
    filter: {},
    batchSize: 2,
    textBatchSize: 3,
    concurrency: 2,
    ...over,
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-txt-'));
    lib = new MemoryLibrary();
    model = new FakeModel();
    await mkdir(path.join(dir, 'img'));
    await writeFile(path.join(dir, 'img', 'dog.jpg'), 'IMG:dog');
    await writeFile(path.join(dir, 'img', 'cat.jpg'), 'IMG:cat');
    await writeFile(path.join(dir, 'corpus.txt'), 'one\ntwo\nthree\nfour\n');
    await writeFile(
      path.join(dir, 'caps.jsonl'),
      '{"image":"img/dog.jpg","captions":["a dog","one"]}\n{"image":"img/missing.jpg","captions":["ghost"]}\n',
    );
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('indexes corpora and captions, links captions to images, reuses duplicate texts', async () => {
    const s = await runIndex(request(), lib, model);
    expect(s.stats.texts).to.include({ indexed: 6, reused: 1 });
    expect(model.textsEncoded).to.equal(6);
    expect(s.stats.pairs).to.equal(2);
    expect(s.stats.captionsWithoutImage).to.equal(1);
    const dog = lib.findByUri(1, 'dog.jpg')!;
    const linked = lib.pairs.filter(([img]) => img === dog.id).map(([, t]) => lib.items.get(t)!.text);
    expect(linked.sort()).to.deep.equal(['a dog', 'one']);
  });

  it('re-run encodes nothing; edited and removed lines are updated and deleted', async () => {
    await runIndex(request(), lib, model);
    const again = await runIndex(request(), lib, model);
    expect(again.stats.texts).to.include({ indexed: 0, reused: 0, unchanged: 7, deleted: 0 });
    await writeFile(path.join(dir, 'corpus.txt'), 'one\nTWO\n');
    const third = await runIndex(request(), lib, model);
    expect(third.stats.texts).to.include({ indexed: 1, deleted: 2 });
    expect(
      lib
        .live('text')
        .map((t) => t.text)
        .sort(),
    ).to.deep.equal(['TWO', 'a dog', 'ghost', 'one', 'one']);
  });
});
