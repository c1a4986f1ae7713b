// The keyword leg on a worker thread (its own read-only connection) must answer exactly as the
// library's own connection: real indexer, store, model and worker over the hybrid eval images.
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INDEX_DEFAULTS } from '../../../indexer/pipeline/index-request.ts';
import { runIndex } from '../../../indexer/pipeline/index-run.ts';
import { openEngine } from '../../../src/engine.ts';
import { EngineError } from '../../../src/errors.ts';
import { bundledModelDir } from '../../../src/model/bundled-model.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import type { ClipModel } from '../../../src/model/model.types.ts';
import { SearchService } from '../../../src/search/search.service.ts';
import type { SearchMode, SearchRequest } from '../../../src/search/search.types.ts';
import { KeywordWorker } from '../../../src/store/keyword-worker-host.ts';
import { LibraryStore } from '../../../src/store/library-store.ts';
import type { KeywordSearcher } from '../../../src/store/library.types.ts';
import { openLibrary } from '../../../src/store/open-library.ts';

const EVAL = path.resolve(import.meta.dirname, '..', '..', '..', 'fixtures', 'hybrid-eval');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('keyword leg on a worker thread (real store, model and worker)', function () {
  this.timeout(120_000);
  let dir: string;
  let model: ClipModel;
  let library: LibraryStore;
  let worker: KeywordSearcher;
  let inline: SearchService;
  let offThread: SearchService;
  let queries: string[];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-keyword-worker-'));
    model = await loadModel(bundledModelDir(), { device: 'cpu', threads: 1 });
    library = await openLibrary(path.join(dir, 'lib'), { fingerprint: model.fingerprint });
    await runIndex(
      {
        ...INDEX_DEFAULTS,
        folders: [path.join(EVAL, 'images')],
        imageFiles: [],
        corpora: [],
        captions: [],
        filter: {},
      },
      library,
      model,
    );
    const deps = { text: model.text, image: model.image, preprocessor: model.preprocessor, library };
    worker = library.openKeywordWorker();
    inline = new SearchService(deps);
    offThread = new SearchService({ ...deps, keywordWorker: worker });
    queries = (await readFile(path.join(EVAL, 'queries.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { query: string }).query);
  });
  after(async () => {
    await worker?.close();
    await library?.close();
    await model?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same pages as the inline leg for every eval query, mode, fusion and page', async () => {
    expect(queries.length).to.be.greaterThan(40);
    const variants: Array<Partial<SearchRequest>> = [
      { mode: 'hybrid' },
      { mode: 'keyword' },
      { mode: 'hybrid', fusion: { method: 'convex', alpha: 0.5 } },
      { mode: 'hybrid', k: 3, filter: { kinds: ['image'] } },
    ];
    let withKeywordHits = 0;
    // Words that match no document: the worker path must then give the vector-only answer.
    for (const text of [...queries, 'qqxz', 'zzyzx wqwq']) {
      for (const variant of variants) {
        const request: SearchRequest = { target: 'image', terms: [{ text }], k: 5, ...variant };
        const a = await inline.search(request);
        const b = await offThread.search(request);
        expect(b, `${text} ${JSON.stringify(variant)}`).to.deep.equal(a);
        if (a.nextCursor) {
          const next = { ...request, cursor: a.nextCursor };
          expect(await offThread.search(next)).to.deep.equal(await inline.search(next));
        }
        if (a.results.some((h) => typeof h.scores?.keyword === 'number')) withKeywordHits++;
      }
    }
    expect(withKeywordHits).to.be.greaterThan(60);
  });

  it('answers the leg itself as Library.keywordSearch does, with filters and exclusions', async () => {
    for (const text of queries.slice(0, 20)) {
      for (const options of [
        { k: 10 },
        { k: 1, excludeIds: [1, 2, 3] },
        { k: 64, filter: { kinds: ['image' as const] } },
      ]) {
        expect(await worker.search('image', text, options)).to.deep.equal(
          library.keywordSearch('image', text, options),
        );
      }
    }
  });

  it('maps errors from the worker to EngineError codes', async () => {
    const invalid = await rejection(worker.search('image', 'cat', { k: 0 }));
    expect(invalid).to.be.instanceOf(EngineError);
    expect((invalid as EngineError).code).to.equal('INVALID_INPUT');
    const missing = new KeywordWorker(path.join(dir, 'no-such-library'));
    try {
      const error = await rejection(missing.search('image', 'cat', { k: 5 }));
      expect(error).to.be.instanceOf(EngineError);
      expect((error as EngineError).message).to.match(/cannot open database/);
      // A search service hands the worker's error on, whatever the mode.
      const service = new SearchService({
        text: model.text,
        image: model.image,
        preprocessor: model.preprocessor,
        library,
        keywordWorker: missing,
      });
      for (const mode of ['hybrid', 'keyword'] as SearchMode[]) {
        const failed = await rejection(service.search({ target: 'image', terms: [{ text: 'cat' }], mode }));
        expect(failed).to.be.instanceOf(EngineError);
        expect((failed as EngineError).code).to.equal((error as EngineError).code);
      }
    } finally {
      await missing.close();
    }
  });

  it('fails queries after close with CLOSED, also one still waiting', async () => {
    const own = library.openKeywordWorker();
    const waiting = rejection(own.search('image', 'cat', { k: 5 }));
    await own.close();
    for (const promise of [waiting, rejection(own.search('image', 'cat', { k: 5 }))]) {
      const error = await promise;
      expect(error).to.be.instanceOf(EngineError);
      expect((error as EngineError).code).to.equal('CLOSED');
    }
  });

  it('the engine opens a worker only when asked and closes it when the engine closes', async () => {
    const opened: KeywordSearcher[] = [];
    // A spy on the real method (restored below): called with the library as `this`.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = LibraryStore.prototype.openKeywordWorker;
    LibraryStore.prototype.openKeywordWorker = function (this: LibraryStore) {
      const created = original.call(this);
      opened.push(created);
      return created;
    };
    try {
      const libraryDir = path.join(dir, 'lib');
      const serving = await openEngine({
        libraryDir,
        modelDir: bundledModelDir(),
        readOnly: true,
        threads: 1,
        keywordWorker: true,
      });
      const page = await serving.search.search({ target: 'image', terms: [{ text: 'cat' }], k: 5 });
      expect(page).to.deep.equal(await inline.search({ target: 'image', terms: [{ text: 'cat' }], k: 5 }));
      await serving.close();
      expect(opened).to.have.length(1);
      const error = await rejection(opened[0]!.search('image', 'cat', { k: 5 }));
      expect((error as EngineError).code).to.equal('CLOSED');
      const oneShot = await openEngine({
        libraryDir,
        modelDir: bundledModelDir(),
        readOnly: true,
        threads: 1,
      });
      await oneShot.close();
      expect(opened).to.have.length(1);
    } finally {
      LibraryStore.prototype.openKeywordWorker = original;
    }
  });
});
