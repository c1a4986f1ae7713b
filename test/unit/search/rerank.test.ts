// The second stage over an in-memory library and a fake ITM stage (unit tier): re-ranking is a
// permutation of the first-stage window, deterministic, pages through one re-ranked order, works
// with filters, survives k beyond the hit count, and is refused by models without an ITM stage.
import { expect } from 'chai';
import type { ImageEncoder, TextEncoder } from '../../../src/encoders/encoder.ts';
import type { ImagePreprocessor } from '../../../src/image/preprocess.types.ts';
import { isEngineError } from '../../../src/errors.ts';
import type { ItmInfo, ItmStage } from '../../../src/rerank/itm.types.ts';
import { encodeCursor } from '../../../src/search/cursor.ts';
import { SearchService } from '../../../src/search/search.service.ts';
import type { SearchRequest } from '../../../src/search/search.types.ts';
import type { Item, Library, VectorHit, VectorSearchOptions } from '../../../src/store/library.types.ts';
import { dot, l2Normalize } from '../../../src/vector/vector-math.ts';

const DIM = 4;
const N = 12;

function makeItem(id: number, kind: 'image' | 'text'): Item {
  return {
    id,
    kind,
    rootId: 1,
    uri: `${id % 2 ? 'odd' : 'even'}/f${id}`,
    contentHash: null,
    size: 1,
    mtimeMs: id,
    width: 1,
    height: 1,
    format: kind === 'image' ? 'png' : null,
    text: kind === 'text' ? `caption ${id}` : null,
    metadata: null,
    status: 'indexed',
    error: null,
    createdAt: 0,
    updatedAt: 0,
  };
}

// Item i's vector leans away from axis 0 as i grows, so the first stage ranks 1, 2, 3, …
const vectorOf = (id: number): Float32Array => l2Normalize(Float32Array.from([1, id / 10, (id % 3) / 50, 0]));
const states = (id: number): Uint8Array => Uint8Array.from([id, 0]);

function fakeLibrary(kind: 'image' | 'text', withStates = true): Library {
  const items = new Map(Array.from({ length: N }, (_, i) => [i + 1, makeItem(i + 1, kind)]));
  const partial: Partial<Library> = {
    fingerprint: {
      id: 'fp',
      name: 'fake-dual',
      layout: 'huggingface',
      dim: DIM,
      files: {},
      preprocess: {} as never,
    },
    search(_kind, query, options: VectorSearchOptions): VectorHit[] {
      return [...items.values()]
        .filter((it) => !(options.excludeIds ?? []).includes(it.id))
        .filter(
          (it) => options.filter?.pathPrefix === undefined || it.uri.startsWith(options.filter.pathPrefix),
        )
        .map((it) => ({ id: it.id, score: dot(query, vectorOf(it.id)) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, options.k);
    },
    getItems: (ids) => ids.map((id) => items.get(id)!).filter(Boolean),
    shotsByIds: () => new Map(), // photos only
    getItem: (id) => items.get(id),
    getVector: (id) => (items.has(id) ? vectorOf(id) : undefined),
    getItmFeatures: (_stage, ids) => new Map(withStates ? ids.map((id) => [id, states(id)]) : []),
    resolvePath: (item) => `/nowhere/${item.uri}`,
    tagsFor: () => new Map(),
    // The service hydrates a caption's image for text hits (none here).
    linkedItems: () => [],
  };
  return partial as Library;
}

/** ITM logits that prefer ids divisible by 3, then larger ids: an order unlike the first stage's. */
const logitOf = (id: number): number => (id % 3 === 0 ? 100 : 0) + id;

class FakeItm implements ItmStage {
  calls = 0;
  readonly info: ItmInfo = {
    name: 'fake-itm',
    dir: '/fake',
    id: 'itm-fake',
    featureBytes: 2,
    imageFeatures: [{ name: 'x', shape: [1] }],
    defaultK: 5,
    dualWeight: 0,
    dualLogitScale: 1,
    files: {},
    sharesPixels: true,
  };
  imageFeatures(pixels: readonly Float32Array[]): Promise<Uint8Array[]> {
    return Promise.resolve(pixels.map((p) => states(p[0] ?? 0)));
  }
  imageFeaturesFromBytes(bytes: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(states(bytes[0] ?? 0));
  }
  scoreText(_text: string, images: readonly Uint8Array[]): Promise<Float32Array> {
    this.calls++;
    return Promise.resolve(Float32Array.from(images, (s) => logitOf(s[0]!)));
  }
  scoreImage(_image: Uint8Array, texts: readonly string[]): Promise<Float32Array> {
    this.calls++;
    return Promise.resolve(Float32Array.from(texts, (t) => logitOf(Number(t.split(' ')[1]))));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const text: TextEncoder = {
  dim: DIM,
  modelId: 'fake',
  contextLength: 8,
  encodeOne: () => Promise.resolve(Float32Array.from([1, 0, 0, 0])),
  encodeBatch: (ts) => Promise.all(ts.map((t) => text.encodeOne(t))),
};
const image: ImageEncoder = {
  dim: DIM,
  modelId: 'fake',
  encodeOne: () => Promise.resolve(Float32Array.from([1, 0, 0, 0])),
  encodeBatch: (ps) => Promise.all(ps.map((p) => image.encodeOne(p))),
};
const preprocessor: ImagePreprocessor = {
  spec: {} as never,
  preprocess: (bytes) =>
    Promise.resolve({ pixels: new Float32Array(bytes), width: 1, height: 1, format: 'raw' }),
};

function service(
  itm: ItmStage | undefined,
  kind: 'image' | 'text' = 'image',
  withStates = true,
): SearchService {
  return new SearchService({
    text,
    image,
    preprocessor,
    library: fakeLibrary(kind, withStates),
    ...(itm ? { itm } : {}),
  });
}

const ids = (page: { results: readonly { item: Item }[] }) => page.results.map((h) => h.item.id);
const words: SearchRequest = { target: 'image', terms: [{ text: 'a cat' }], k: N };

async function allPages(svc: SearchService, request: SearchRequest): Promise<number[]> {
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await svc.search({ ...request, ...(cursor ? { cursor } : {}) });
    seen.push(...ids(page));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return seen;
}

describe('re-ranking (second stage)', () => {
  it('re-orders the first-stage window by ITM and leaves the rest in first-stage order', async () => {
    const plain = await service(undefined).search(words);
    expect(ids(plain)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const page = await service(new FakeItm()).search({ ...words, rerank: { k: 5 } });
    expect(ids(page)).to.deep.equal([3, 5, 4, 2, 1, 6, 7, 8, 9, 10, 11, 12]);
    expect(page.rerank).to.deep.equal({ stage: 'fake-itm', k: 5, reranked: 5 });
    const first = page.results[0]!;
    expect(first.scores?.itm).to.equal(103);
    expect(first.scores?.vector).to.be.closeTo(dot(Float32Array.from([1, 0, 0, 0]), vectorOf(3)), 1e-6);
    // Outside the window: first-stage scores only (every hit explains its legs since #12), no itm.
    expect(page.results[5]!.scores?.itm).to.equal(undefined);
  });

  it('is a permutation of the first-stage set: nothing added or lost', async () => {
    for (const k of [1, 3, 5, 8, 12]) {
      const plain = ids(await service(undefined).search({ ...words, k }));
      const reranked = ids(await service(new FakeItm()).search({ ...words, k, rerank: { k } }));
      expect(
        [...reranked].sort((a, b) => a - b),
        `k=${k}`,
      ).to.deep.equal([...plain].sort((a, b) => a - b));
    }
  });

  it('is deterministic', async () => {
    const svc = service(new FakeItm());
    const a = await svc.search({ ...words, rerank: {} });
    const b = await svc.search({ ...words, rerank: {} });
    expect(ids(a)).to.deep.equal(ids(b));
    expect(a.results.map((h) => h.score)).to.deep.equal(b.results.map((h) => h.score));
  });

  it('mixes in the dual-encoder logit as the stage says', async () => {
    const itm = new FakeItm();
    Object.assign(itm.info, { dualWeight: 1, dualLogitScale: 1000 });
    const page = await service(itm).search({ ...words, rerank: { k: 5 } });
    for (const hit of page.results.slice(0, 5)) {
      expect(hit.score).to.be.closeTo(hit.scores!.itm! + 1000 * hit.scores!.vector!, 1e-6);
    }
  });

  it('re-ranks once per query and pages through the re-ranked list with cursors', async () => {
    const itm = new FakeItm();
    const svc = service(itm);
    const whole = ids(await svc.search({ ...words, rerank: { k: 7 } }));
    itm.calls = 0;
    const paged = await allPages(svc, { ...words, k: 2, rerank: { k: 7 } });
    expect(paged).to.deep.equal(whole);
    expect(itm.calls, 'ITM runs').to.equal(1);
  });

  it('works with filters: only filtered items are re-ranked and returned', async () => {
    const page = await service(new FakeItm()).search({
      ...words,
      filter: { pathPrefix: 'odd/' },
      rerank: { k: 4 },
    });
    expect(ids(page)).to.deep.equal([3, 7, 5, 1, 9, 11]);
    expect(page.rerank?.reranked).to.equal(4);
  });

  it('handles k larger than the number of hits', async () => {
    const page = await service(new FakeItm()).search({ ...words, rerank: { k: 200 } });
    expect(page.results).to.have.length(N);
    expect(page.rerank).to.deep.equal({ stage: 'fake-itm', k: 200, reranked: N });
    expect(ids(page).slice(0, 4)).to.deep.equal([12, 9, 6, 3]);
  });

  it('re-ranks texts for an image query (image → text)', async () => {
    const page = await service(new FakeItm(), 'text').search({
      target: 'text',
      terms: [{ image: Uint8Array.from([1, 0, 0, 0]) }],
      k: 6,
      rerank: { k: 6 },
    });
    expect(ids(page)).to.deep.equal([6, 3, 5, 4, 2, 1]);
  });

  it('derives image states from the file when none are stored', async () => {
    const svc = service(new FakeItm(), 'image', false);
    const error = await svc.search({ ...words, rerank: { k: 3 } }).catch((e: unknown) => e);
    expect(isEngineError(error, 'NOT_FOUND'), String(error)).to.equal(true); // the fake's files do not exist
  });

  it('does not let a cursor smuggle in items outside the window', async () => {
    const cursor = encodeCursor({ offset: 0, rerank: { ids: [99, 2, 1], itm: [1000, 5, 4] } });
    const page = await service(new FakeItm()).search({
      ...words,
      k: 3,
      cursor,
      filter: { pathPrefix: 'odd/' },
      rerank: { k: 3 },
    });
    expect(ids(page)).to.not.include(99);
    expect(ids(page)).to.not.include(2);
  });

  it('refuses models without an ITM stage with a typed error', async () => {
    const error = await service(undefined)
      .search({ ...words, rerank: {} })
      .catch((e: unknown) => e);
    expect(isEngineError(error, 'RERANK_UNAVAILABLE'), String(error)).to.equal(true);
  });

  it('refuses queries it cannot score and bad depths', async () => {
    const svc = service(new FakeItm());
    for (const request of [
      { target: 'text', terms: [{ text: 'words for texts' }], rerank: {} },
      { target: 'image', terms: [{ text: 'a' }, { itemId: 3 }], rerank: {} },
      { target: 'image', terms: [{ text: 'a' }], rerank: {}, sort: 'date' },
      { target: 'image', terms: [{ text: 'a' }], rerank: { k: 0 } },
      { target: 'image', terms: [{ text: 'a' }], rerank: { k: 257 } },
    ] as SearchRequest[]) {
      const error = await svc.search(request).catch((e: unknown) => e);
      expect(isEngineError(error, 'INVALID_INPUT'), JSON.stringify(request)).to.equal(true);
    }
  });
});
