// The search options whose effect depends on the scores — minScore=auto, sort=date, negative
// weights — and the metadata filters, over real HTTP against a library whose vectors and
// metadata are chosen by the test: every expected order and cut is known in advance, so a
// no-op implementation cannot pass. (The demo-corpus tests in server-api check the same routes
// with the real model's vectors.)
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadModel } from '../../src/model/load-model.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import {
  autoProvider,
  MODEL_DIR,
  removeFixture,
  startTestServer,
  type TestServer,
} from './server-harness.ts';

interface Hit {
  id: number;
  uri: string;
  score: number;
  size: number;
  width: number;
  modifiedAt: string;
}
interface Page {
  results: Hit[];
}

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

/**
 * Ten items on a known score curve for the query e0: a plateau of five (one of them, "leaning",
 * also points along e2), then a drop of 0.29, then a slow tail. Sizes, widths and dates are
 * spread so that each filter below selects a different, known subset.
 */
const SPEC = [
  { name: 'a', score: 0.95, day: 3 },
  { name: 'leaning', score: 0.94, day: 9, e2: true },
  { name: 'b', score: 0.93, day: 1 },
  { name: 'c', score: 0.91, day: 7 },
  { name: 'd', score: 0.89, day: 5 },
  { name: 'e', score: 0.6, day: 2 },
  { name: 'f', score: 0.58, day: 8 },
  { name: 'g', score: 0.56, day: 0 },
  { name: 'h', score: 0.54, day: 6 },
  { name: 'i', score: 0.52, day: 4 },
].map((s, n) => ({
  ...s,
  size: 1000 * (n + 1),
  width: 100 * (n + 1),
  mtimeMs: T0 + s.day * DAY,
  uri: `2024/${s.name}.jpg`,
}));
const PLATEAU = SPEC.slice(0, 5).map((s) => s.uri);

describe('server e2e: scores, cut-off, order and filters on a library with known vectors', function () {
  this.timeout(120_000);
  let tmp: string;
  let dim: number;
  let t: TestServer;
  const unit = (axis: number): number[] => Array.from({ length: dim }, (_, i) => (i === axis ? 1 : 0));

  const post = async (body: unknown): Promise<Page> => {
    const res = await fetch(`${t.base}/api/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as Page;
  };
  const getUris = async (query: string): Promise<string[]> => {
    const res = await fetch(`${t.base}/api/search?q=anything&k=50&${query}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return ((await res.json()) as Page).results.map((h) => h.uri).sort();
  };
  const uris = (page: Page) => page.results.map((h) => h.uri);

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-known-'));
    const model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
    const fingerprint = model.fingerprint;
    await model.close();
    dim = fingerprint.dim;
    const libraryDir = path.join(tmp, 'library');
    const library = await openLibrary(libraryDir, { fingerprint });
    const rootId = library.ensureRoot(path.join(tmp, 'photos')).id;
    library.write({
      items: SPEC.map((s) => {
        const vector = new Float32Array(dim);
        vector[0] = s.score;
        vector[s.e2 ? 2 : 1] = Math.sqrt(1 - s.score * s.score);
        return {
          kind: 'image',
          rootId,
          uri: s.uri,
          contentHash: s.name,
          size: s.size,
          mtimeMs: s.mtimeMs,
          width: s.width,
          height: 50,
          format: 'jpeg',
          status: 'indexed',
          vector,
        };
      }),
    });
    await library.close();
    t = await startTestServer(libraryDir);
  });
  after(async () => {
    await t?.close();
    await removeFixture(tmp);
  });

  it('returns the designed cosines, best first', async () => {
    const page = await post({ terms: [{ vector: unit(0) }], k: 50 });
    expect(uris(page)).to.deep.equal(SPEC.map((s) => s.uri));
    page.results.forEach((hit, i) => expect(hit.score).to.be.closeTo(SPEC[i]!.score, 1e-5));
  });

  it('minScore=auto cuts at the largest gap of the curve: the plateau of five, nothing from the tail', async () => {
    const page = await post({ terms: [{ vector: unit(0) }], k: 50, minScore: 'auto' });
    expect(uris(page)).to.deep.equal(PLATEAU);
  });

  it('sort=date orders the relevant set newest first (not by score)', async () => {
    const page = await post({ terms: [{ vector: unit(0) }], k: 50, minScore: 'auto', sort: 'date' });
    const byDate = SPEC.slice(0, 5)
      .sort((a, b) => b.mtimeMs - a.mtimeMs)
      .map((s) => s.uri);
    expect(byDate).to.not.deep.equal(PLATEAU); // the designed dates disagree with the scores
    expect(uris(page)).to.deep.equal(byDate);
    const dates = page.results.map((h) => Date.parse(h.modifiedAt));
    expect(dates).to.deep.equal([...dates].sort((a, b) => b - a));
    // The same over GET, the way the README's curl asks for it.
    const res = await fetch(`${t.base}/api/search?q=anything&k=50&sort=date`);
    const all = ((await res.json()) as Page).results.map((h) => Date.parse(h.modifiedAt));
    expect(all).to.have.length(SPEC.length);
    expect(all).to.deep.equal([...all].sort((a, b) => b - a));
  });

  it('a negative weight moves the item that shares the unwanted direction down, by the expected amount', async () => {
    const plain = await post({ terms: [{ vector: unit(0) }], k: 50 });
    expect(uris(plain).indexOf('2024/leaning.jpg')).to.equal(1);
    const pushed = await post({
      terms: [
        { vector: unit(0), weight: 1 },
        { vector: unit(2), weight: -0.5 },
      ],
      k: 50,
    });
    // Query (e0 − 0.5·e2)/|…|: "leaning" scores (0.94 − 0.5·0.341)/1.118 = 0.688, below the other four
    // plateau items (0.89/1.118 = 0.796 and up) and above the tail (0.6/1.118 = 0.537 and down).
    const leaning = pushed.results.find((h) => h.uri === '2024/leaning.jpg')!;
    expect(uris(pushed).indexOf('2024/leaning.jpg')).to.equal(4);
    expect(leaning.score).to.be.closeTo((0.94 - 0.5 * Math.sqrt(1 - 0.94 ** 2)) / Math.sqrt(1.25), 1e-5);
    expect(uris(pushed).filter((u) => u !== '2024/leaning.jpg')).to.deep.equal(
      uris(plain).filter((u) => u !== '2024/leaning.jpg'),
    );
  });

  it('filters modifiedAfter / modifiedBefore (epoch ms and ISO dates), minSize / maxSize and minWidth select exactly the matching items', async () => {
    const expectUris = (pick: (s: (typeof SPEC)[number]) => boolean) =>
      SPEC.filter(pick)
        .map((s) => s.uri)
        .sort();
    const after = T0 + 4 * DAY;
    const before = T0 + 8 * DAY;
    expect(await getUris(`modifiedAfter=${after}`)).to.deep.equal(expectUris((s) => s.mtimeMs > after));
    expect(await getUris(`modifiedBefore=${new Date(before).toISOString()}`)).to.deep.equal(
      expectUris((s) => s.mtimeMs < before),
    );
    expect(await getUris(`modifiedAfter=${after}&modifiedBefore=${before}`)).to.deep.equal(
      expectUris((s) => s.mtimeMs > after && s.mtimeMs < before),
    );
    expect(await getUris('minSize=3000&maxSize=6000')).to.deep.equal(
      expectUris((s) => s.size >= 3000 && s.size <= 6000),
    );
    expect(await getUris('minWidth=800')).to.deep.equal(expectUris((s) => s.width >= 800));
    // "After" and "before" are strict: an item modified exactly at the bound is out.
    // The same filter as JSON, combined with the score cut: both apply.
    const page = await post({
      terms: [{ vector: unit(0) }],
      k: 50,
      minScore: 'auto',
      filter: { minSize: 2500, modifiedAfter: new Date(T0 + 2 * DAY).toISOString() },
    });
    expect(uris(page).sort()).to.deep.equal(
      expectUris((s) => PLATEAU.includes(s.uri) && s.size >= 2500 && s.mtimeMs > T0 + 2 * DAY),
    );
  });

  it('/health reports the provider the default device (auto) really runs on', async () => {
    const health = (await (await fetch(`${t.base}/health`)).json()) as { executionProvider: string };
    expect(health.executionProvider).to.equal(await autoProvider());
  });
});
