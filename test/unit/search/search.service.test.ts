// Ranking and paging logic over an in-memory library and a fake encoder (unit tier only;
// the real store and model are exercised in the integration and e2e tiers).
import { expect } from 'chai';
import { EngineError } from '../../../src/errors.ts';
import type { ImageEncoder, TextEncoder } from '../../../src/encoders/encoder.ts';
import type { ImagePreprocessor } from '../../../src/image/preprocess.types.ts';
import { SearchService } from '../../../src/search/search.service.ts';
import type { Item, Library, VectorHit, VectorSearchOptions } from '../../../src/store/library.types.ts';
import { dot, l2Normalize } from '../../../src/vector/vector-math.ts';

const DIM = 4;
const axis = (i: number, j = i, w = 0): Float32Array => {
  const v = new Float32Array(DIM);
  v[i] = 1;
  v[j]! += w;
  return l2Normalize(v);
};

function makeItem(id: number, kind: 'image' | 'text', mtimeMs: number): Item {
  return {
    id,
    kind,
    rootId: 1,
    uri: `f${id}`,
    contentHash: null,
    size: 1,
    mtimeMs,
    width: 1,
    height: 1,
    format: kind === 'image' ? 'png' : null,
    text: kind === 'text' ? `t${id}` : null,
    metadata: null,
    status: 'indexed',
    error: null,
    createdAt: 0,
    updatedAt: 0,
  };
}

function fakeLibrary(vectors: Map<number, Float32Array>): Library {
  const items = new Map([...vectors.keys()].map((id) => [id, makeItem(id, 'image', id * 1000)]));
  const partial: Partial<Library> = {
    fingerprint: {
      id: 'fp',
      name: 'fake',
      layout: 'huggingface',
      dim: DIM,
      files: {},
      preprocess: {} as never,
    },
    search(_kind, query, options: VectorSearchOptions): VectorHit[] {
      return [...vectors]
        .filter(([id]) => !(options.excludeIds ?? []).includes(id))
        .map(([id, v]) => ({ id, score: dot(query, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, options.k);
    },
    getItems: (ids) => ids.map((id) => items.get(id)!).filter(Boolean),
    shotsByIds: () => new Map(), // photos only
    getVector: (id) => vectors.get(id),
    tagsFor: () => new Map(),
    perceptualHashes: () => new Map(),
    fingerprints: () => new Map(),
  };
  return partial as Library;
}

const text: TextEncoder = {
  dim: DIM,
  modelId: 'fake',
  contextLength: 8,
  encodeOne: (t) => Promise.resolve(axis(Number(t.split(':')[1] ?? 0))),
  encodeBatch: (ts) => Promise.all(ts.map((t) => text.encodeOne(t))),
};
const image: ImageEncoder = {
  dim: DIM,
  modelId: 'fake',
  encodeOne: (p) => Promise.resolve(l2Normalize(p.slice(0, DIM))),
  encodeBatch: (ps) => Promise.all(ps.map((p) => image.encodeOne(p))),
};
const preprocessor: ImagePreprocessor = {
  spec: {} as never,
  preprocess: (bytes) =>
    Promise.resolve({ pixels: new Float32Array(bytes), width: 1, height: 1, format: 'raw' }),
};

describe('SearchService', () => {
  // ids 1..8: two near axis 0, the rest spread over other axes.
  const vectors = new Map<number, Float32Array>([
    [1, axis(0)],
    [2, axis(0, 1, 0.2)],
    [3, axis(1)],
    [4, axis(1, 2, 0.3)],
    [5, axis(2)],
    [6, axis(3)],
    [7, axis(3, 0, 0.5)],
    [8, axis(2, 3, 1)],
  ]);
  const service = new SearchService({ text, image, preprocessor, library: fakeLibrary(vectors) });

  it('ranks by cosine and reports the score', async () => {
    const page = await service.search({ target: 'image', terms: [{ text: 'axis:0' }], k: 3 });
    expect(page.results.map((h) => h.item.id)).to.deep.equal([1, 2, 7]);
    expect(page.results[0]!.score).to.be.closeTo(1, 1e-6);
  });

  it('pages with cursors without repeating or skipping hits', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await service.search({
        target: 'image',
        terms: [{ text: 'axis:1' }],
        k: 3,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.results.map((h) => h.item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).to.have.length(8);
    expect(new Set(seen).size).to.equal(8);
  });

  it('mixes weighted terms, negatives push results away, and the query item is excluded', async () => {
    const plain = await service.search({ target: 'image', terms: [{ itemId: 7 }], k: 8 });
    expect(plain.results.map((h) => h.item.id)).to.not.include(7);
    const pushed = await service.search({
      target: 'image',
      terms: [{ itemId: 7 }, { text: 'axis:0', weight: -1 }],
      k: 8,
    });
    const rank = (ids: number[], id: number) => ids.indexOf(id);
    expect(
      rank(
        pushed.results.map((h) => h.item.id),
        1,
      ),
    ).to.be.greaterThan(
      rank(
        plain.results.map((h) => h.item.id),
        1,
      ),
    );
  });

  it('filters by a numeric minScore and sorts by date within the relevant set', async () => {
    const page = await service.search({
      target: 'image',
      terms: [{ text: 'axis:0' }],
      k: 10,
      minScore: 0.4,
      sort: 'date',
    });
    const ids = page.results.map((h) => h.item.id);
    expect(ids).to.have.members([1, 2, 7]);
    expect(ids).to.deep.equal([7, 2, 1]);
  });

  it('rejects malformed requests with INVALID_INPUT', async () => {
    const bad = [
      { target: 'image' as const, terms: [] },
      { target: 'image' as const, terms: [{ text: '  ' }] },
      { target: 'image' as const, terms: [{ text: 'axis:0', weight: -1 }] },
      { target: 'image' as const, terms: [{ text: 'axis:0' }], k: 0 },
      { target: 'image' as const, terms: [{ text: 'axis:0' }], cursor: 'not-a-cursor' },
      { target: 'image' as const, terms: [{ text: 'axis:0' }], minScore: 7 },
    ];
    for (const request of bad) {
      const error = await service.search(request).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(request)).to.be.instanceOf(EngineError);
      expect((error as EngineError).code).to.equal('INVALID_INPUT');
    }
  });

  it('rejects an unknown item and a wrong-sized vector with typed errors', async () => {
    const missing = await service
      .search({ target: 'image', terms: [{ itemId: 99 }] })
      .catch((e: EngineError) => e);
    expect((missing as EngineError).code).to.equal('NOT_FOUND');
    const wrong = await service
      .search({ target: 'image', terms: [{ vector: new Float32Array(3) }] })
      .catch((e: EngineError) => e);
    expect((wrong as EngineError).code).to.equal('DIMENSION_MISMATCH');
  });
});
