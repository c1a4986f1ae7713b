// The real server over real HTTP with the bundled model and a library indexed by the real CLI:
// every route's happy path, in both directions (text→image, image→text, …).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Item } from '../../src/store/library.types.ts';
import type { QueryTerm } from '../../src/search/search.types.ts';
import { dot } from '../../src/vector/vector-math.ts';
import {
  autoProvider,
  sharedFixture,
  startTestServer,
  type Fixture,
  type TestServer,
} from './server-harness.ts';

interface Hit {
  id: number;
  kind: 'image' | 'text';
  uri: string;
  text: string | null;
  score: number;
  width: number | null;
  height: number | null;
  thumbnailUrl: string | null;
  fileUrl: string;
  linkedImage: { id: number; uri: string; thumbnailUrl: string } | null;
  modifiedAt: string;
  scores: { vector: number | null; keyword: number | null; fused: number | null };
  matched: string[];
  takenAt: string | null;
  takenAtSource: string | null;
}
interface Page {
  target: string;
  results: Hit[];
  nextCursor: string | null;
}

describe('server e2e: API', function () {
  this.timeout(180_000);
  let fx: Fixture;
  let t: TestServer;

  const get = async <T>(
    url: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: T; res: Response }> => {
    const res = await fetch(`${t.base}${url}`, init);
    return { status: res.status, body: (await res.json()) as T, res };
  };
  const post = (url: string, body: unknown) =>
    get<Page>(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const imageItem = (row: number): Item => {
    const root = t.engine.library.listRoots()[0]!;
    const uri = path.basename(fx.rows[row]!.image);
    const item = t.engine.library.findByUri(root.id, uri);
    if (!item) throw new Error(`fixture image ${uri} not indexed`);
    return item;
  };
  const imageBytes = (row: number) => readFile(path.join(fx.corpus, fx.rows[row]!.image));
  /** The same query straight through the engine (no HTTP): what the server must return. */
  const direct = async (target: 'image' | 'text', terms: QueryTerm[], k: number) =>
    (await t.engine.search.search({ target, terms, k })).results.map((h) => h.item.id);

  before(async () => {
    fx = await sharedFixture();
    // A 5 ms window: with this tiny model an idle encoder finishes before the next request of a
    // burst is parsed, so without a window the batching test would depend on scheduling luck.
    t = await startTestServer(fx.libraryDir, { microBatch: { enabled: true, windowMs: 5, maxBatch: 32 } });
  });
  after(async () => {
    await t?.close();
  });

  // Loopback binding is checked on the real `clipdex serve` socket (serve-process.test.ts).
  it('reports model, provider and counts on /health', async () => {
    const { status, body, res } = await get<{
      status: string;
      model: { loaded: boolean; dim: number };
      executionProvider: string;
      library: { open: boolean; images: { indexed: number }; texts: { indexed: number } };
    }>('/health');
    expect(status).to.equal(200);
    expect(res.headers.get('x-request-id')).to.be.a('string').and.not.empty;
    expect(body.model.loaded).to.equal(true);
    expect(body.executionProvider).to.equal(await autoProvider()); // the harness leaves the device at its default, auto
    expect(body.library.images.indexed).to.equal(fx.rows.length);
    expect(body.library.texts.indexed).to.equal(fx.rows.reduce((n, r) => n + r.captions.length, 0));
  });

  it("text→image: GET /api/search returns the engine's ranking, with cosine scores in order", async () => {
    const row = 3;
    const { status, body } = await get<Page>(
      `/api/search?q=${encodeURIComponent(fx.rows[row]!.captions[0]!)}&k=5`,
    );
    expect(status).to.equal(200);
    expect(body.results).to.have.length(5);
    for (const hit of body.results) {
      expect(hit.kind).to.equal('image');
      expect(hit.score).to.be.within(-1, 1);
      expect(hit.width).to.be.a('number');
      expect(hit.thumbnailUrl).to.match(/^\/api\/items\/\d+\/thumbnail\?v=/);
    }
    const scores = body.results.map((h) => h.score);
    expect(scores).to.deep.equal([...scores].sort((a, b) => b - a));
    expect(body.results.map((h) => h.id)).to.deep.equal(
      await direct('image', [{ text: fx.rows[row]!.captions[0]! }], 5),
    );
  });

  it('retrieval through HTTP works in both directions: the right image / caption ranks far above chance', async () => {
    const ranks = { t2i: [] as number[], i2t: [] as number[] };
    for (let row = 0; row < fx.rows.length; row++) {
      const item = imageItem(row);
      const q = await get<Page>(`/api/search?q=${encodeURIComponent(fx.rows[row]!.captions[0]!)}&k=50`);
      ranks.t2i.push(q.body.results.findIndex((h) => h.id === item.id));
      const s = await get<Page>(`/api/items/${item.id}/similar?target=text&k=100`);
      ranks.i2t.push(s.body.results.findIndex((h) => fx.rows[row]!.captions.includes(h.text!)));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Chance: a median rank near half the candidates (20 of 40 images; ~25 for the first of 80 captions).
    expect(ranks.t2i.every((r) => r >= 0)).to.equal(true);
    expect(median(ranks.t2i)).to.be.below(5);
    expect(median(ranks.i2t)).to.be.below(5);
  });

  it('text→text with Chinese and emoji queries', async () => {
    const zh = fx.rows
      .find((r) => r.captions.some((c) => /[\u4e00-\u9fff]/.test(c)))!
      .captions.find((c) => /[\u4e00-\u9fff]/.test(c))!;
    const { status, body } = await get<Page>(`/api/search?q=${encodeURIComponent(zh)}&target=text&k=5`);
    expect(status).to.equal(200);
    expect(body.results.every((h) => h.kind === 'text' && typeof h.text === 'string')).to.equal(true);
    expect(body.results.map((h) => h.text)).to.include(zh);
    const emoji = await get<Page>(`/api/search?q=${encodeURIComponent('🙂 笑脸')}&k=3`);
    expect(emoji.status).to.equal(200);
    expect(emoji.body.results).to.have.length(3);
  });

  it('pages with cursors: no repeats, scores keep falling, the last page has no cursor', async () => {
    const seen = new Set<number>();
    let cursor: string | null = null;
    let last = Infinity;
    let pages = 0;
    do {
      const { body }: { body: Page } = await get<Page>(
        `/api/search?q=face&k=7${cursor ? `&cursor=${cursor}` : ''}`,
      );
      for (const hit of body.results) {
        expect(seen.has(hit.id)).to.equal(false);
        seen.add(hit.id);
        expect(hit.score).to.be.at.most(last + 1e-6);
        last = hit.score;
      }
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen.size).to.equal(fx.rows.length);
    expect(pages).to.equal(Math.ceil(fx.rows.length / 7));
  });

  it('minScore: a number drops weaker hits; auto cuts where the scores fall off', async () => {
    // minScore is a cosine cut on the vector leg; in vector mode `score` is that cosine.
    const all = (await get<Page>('/api/search?q=face&k=50&mode=vector')).body.results;
    const cut = all[Math.floor(all.length / 2)]!.score;
    const some = (await get<Page>(`/api/search?q=face&k=50&mode=vector&minScore=${cut}`)).body.results;
    expect(some.length).to.be.below(all.length);
    expect(some.every((h) => h.score >= cut)).to.equal(true);
    // auto keeps a prefix of the ranking; where it cuts on a known curve: server-known-scores.test.ts.
    const auto = (await get<Page>('/api/search?q=face&k=50&mode=vector&minScore=auto')).body.results;
    expect(auto.length).to.be.at.least(1);
    expect(auto.map((h) => h.id)).to.deep.equal(all.slice(0, auto.length).map((h) => h.id));
    // Hybrid: the cut applies to the vector leg; hits the words found keep their place.
    const hybrid = (await get<Page>(`/api/search?q=face&k=50&minScore=${cut}`)).body.results;
    expect(hybrid.every((h) => h.scores.vector === null || h.scores.vector >= cut)).to.equal(true);
  });

  it("image→text: a photo as JSON base64, multipart and raw bytes gives the engine's ranking", async () => {
    const row = 5;
    const bytes = await imageBytes(row);
    const viaJson = await post('/api/search', { image: bytes.toString('base64'), target: 'text', k: 5 });
    const form = new FormData();
    form.set('image', new Blob([bytes], { type: 'image/png' }), 'photo.png');
    form.set('target', 'text');
    form.set('k', '5');
    const viaForm = await get<Page>('/api/search', { method: 'POST', body: form });
    const viaRaw = await get<Page>('/api/search?target=text&k=5', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: bytes,
    });
    for (const r of [viaJson, viaForm, viaRaw]) {
      expect(r.status).to.equal(200);
      expect(r.body.results.every((h) => h.kind === 'text')).to.equal(true);
    }
    expect(viaJson.body.results.map((h) => h.id)).to.deep.equal(
      await direct('text', [{ image: new Uint8Array(bytes) }], 5),
    );
    expect(viaForm.body.results.map((h) => h.id)).to.deep.equal(viaJson.body.results.map((h) => h.id));
    expect(viaRaw.body.results.map((h) => h.id)).to.deep.equal(viaJson.body.results.map((h) => h.id));
  });

  it('image→image: the uploaded photo finds itself first', async () => {
    const row = 7;
    const { body } = await post('/api/search', {
      image: (await imageBytes(row)).toString('base64'),
      target: 'image',
      k: 3,
    });
    expect(body.results[0]!.id).to.equal(imageItem(row).id);
    expect(body.results[0]!.score).to.be.above(0.99);
  });

  it('weighted terms with a negative weight push results away', async () => {
    const a = fx.rows[2]!.captions[0]!;
    const b = fx.rows[9]!.captions[0]!;
    // Weights mix vectors: compare in vector mode (in hybrid the caption words of `a` also rank hits).
    const plain = await post('/api/search', { q: a, k: 40, mode: 'vector' });
    const mixed = await post('/api/search', {
      terms: [
        { text: a, weight: 1 },
        { text: b, weight: -0.5 },
      ],
      k: 40,
      mode: 'vector',
    });
    expect(mixed.status).to.equal(200);
    const rankOf = (p: Page, id: number) => p.results.findIndex((h) => h.id === id);
    const target = imageItem(9).id;
    expect(rankOf(mixed.body, target)).to.be.above(rankOf(plain.body, target));
    const withItem = await post('/api/search', {
      terms: [{ text: a }, { itemId: imageItem(4).id, weight: 0.5 }],
      k: 5,
    });
    expect(withItem.status).to.equal(200);
    expect(withItem.body.results.map((h) => h.id)).to.not.include(imageItem(4).id);
  });

  it('filters by path prefix and format, and sorts the relevant set by date', async () => {
    const prefix = path.basename(fx.rows[0]!.image).slice(0, 3);
    const { body } = await post('/api/search', {
      q: 'face',
      k: 50,
      filter: { pathPrefix: prefix, formats: ['png'] },
    });
    expect(body.results.length).to.be.at.least(1);
    expect(body.results.every((h) => h.uri.startsWith(prefix))).to.equal(true);
    const none = await post('/api/search', { q: 'face', filter: { formats: ['avif'] } });
    expect(none.body.results).to.have.length(0);
    const byDate = await get<Page>('/api/search?q=face&k=50&sort=date');
    expect(byDate.status).to.equal(200);
    expect(byDate.body.results).to.have.length(fx.rows.length);
    const dates = byDate.body.results.map((h) => Date.parse(h.modifiedAt));
    expect(dates).to.deep.equal([...dates].sort((a, b) => b - a));
  });

  it('GET /api/items/:id returns metadata and the linked captions', async () => {
    const row = 1;
    const item = imageItem(row);
    const { status, body } = await get<{ item: Hit & { status: string }; linked: Hit[] }>(
      `/api/items/${item.id}`,
    );
    expect(status).to.equal(200);
    expect(body.item.uri).to.equal(item.uri);
    expect(body.item.status).to.equal('indexed');
    expect(body.linked.map((l) => l.text).sort()).to.deep.equal([...fx.rows[row]!.captions].sort());
  });

  it('GET /api/items/:id/file returns the original bytes with the right content type', async () => {
    const row = 0;
    const res = await fetch(`${t.base}/api/items/${imageItem(row).id}/file`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(await imageBytes(row))).to.equal(true);
    const caption = (await get<{ linked: Hit[] }>(`/api/items/${imageItem(row).id}`)).body.linked[0]!;
    const text = await fetch(`${t.base}${caption.fileUrl}`);
    expect(text.headers.get('content-type')).to.match(/^text\/plain/);
    expect(await text.text()).to.equal(caption.text);
  });

  it('GET /api/items/:id/thumbnail is a JPEG, cached, and revalidates with ETag', async () => {
    const item = imageItem(0);
    const url = `${t.base}/api/items/${item.id}/thumbnail?size=64`;
    const first = await fetch(url);
    expect(first.status).to.equal(200);
    expect(first.headers.get('content-type')).to.equal('image/jpeg');
    const bytes = Buffer.from(await first.arrayBuffer());
    expect([bytes[0], bytes[1]]).to.deep.equal([0xff, 0xd8]);
    const etag = first.headers.get('etag')!;
    const again = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(again.status).to.equal(304);
  });

  it('GET /api/items/:id/similar searches from an item in either modality, excluding itself', async () => {
    const item = imageItem(6);
    const images = await get<Page>(`/api/items/${item.id}/similar?target=image&k=5`);
    expect(images.status).to.equal(200);
    expect(images.body.results.map((h) => h.id)).to.not.include(item.id);
    const texts = await get<Page>(`/api/items/${item.id}/similar?target=text&k=5`);
    expect(texts.body.results.map((h) => h.id)).to.deep.equal(await direct('text', [{ itemId: item.id }], 5));
    // Every caption hit names the image it describes.
    const captionsOf = (id: number) => t.engine.library.linkedItems(id).map((i) => i.id);
    for (const hit of texts.body.results) {
      expect(hit.linkedImage).to.not.equal(null);
      expect(captionsOf(hit.linkedImage!.id)).to.include(hit.id);
      expect(hit.linkedImage!.thumbnailUrl).to.match(
        new RegExp(`^/api/items/${hit.linkedImage!.id}/thumbnail\\?v=`),
      );
    }
    expect(images.body.results.every((h) => h.linkedImage === null)).to.equal(true);
  });

  it('POST /api/classify: softmax over the label cosines, by item or by upload, and better than chance', async () => {
    type Labels = { labels: { label: string; probability: number; score: number }[] };
    const labels = fx.rows.slice(0, 10).map((r) => r.captions[0]!);
    const classifyItem = (row: number) =>
      get<Labels>('/api/classify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ itemId: imageItem(row).id, labels }),
      });
    const row = 8;
    const byItem = await classifyItem(row);
    expect(byItem.status).to.equal(200);
    expect(byItem.body.labels.reduce((s, l) => s + l.probability, 0)).to.be.closeTo(1, 1e-4);
    const probabilities = byItem.body.labels.map((l) => l.probability);
    expect(probabilities).to.deep.equal([...probabilities].sort((a, b) => b - a));
    // The scores are the cosines of the item's vector and each label's text vector.
    const vector = t.engine.library.getVector(imageItem(row).id)!;
    const textVectors = await t.engine.model.text.encodeBatch(byItem.body.labels.map((l) => l.label));
    byItem.body.labels.forEach((l, i) => expect(l.score).to.be.closeTo(dot(vector, textVectors[i]!), 1e-4));

    const form = new FormData();
    form.set('image', new Blob([await imageBytes(row)], { type: 'image/png' }), 'x.png');
    form.set('labels', JSON.stringify(labels));
    const byUpload = await get<Labels>('/api/classify', { method: 'POST', body: form });
    expect(byUpload.status).to.equal(200);
    expect(byUpload.body.labels[0]!.label).to.equal(byItem.body.labels[0]!.label);

    let correct = 0;
    for (let r = 0; r < 10; r++) if ((await classifyItem(r)).body.labels[0]!.label === labels[r]) correct++;
    expect(correct).to.be.at.least(4); // chance is 1 in 10
  });

  it('micro-batches concurrent queries: 24 parallel searches share encoder runs', async () => {
    const batches = async () => {
      const metrics = await (await fetch(`${t.base}/metrics`)).text();
      const read = (what: string) =>
        Number(
          new RegExp(`clipdex_encode_batch_size_${what}\\{tower="text"\\} (\\d+)`).exec(metrics)?.[1] ?? 0,
        );
      return { count: read('count'), sum: read('sum') };
    };
    const before = await batches();
    // Never asked before, so none comes from the query cache.
    const queries = Array.from({ length: 24 }, (_, i) => `${fx.rows[i]!.captions[0]!} ${i}`);
    const pages = await Promise.all(
      queries.map((q) => get<Page>(`/api/search?q=${encodeURIComponent(q)}&k=3`)),
    );
    expect(pages.every((p) => p.status === 200)).to.equal(true);
    const after = await batches();
    expect(after.sum - before.sum).to.equal(24);
    expect(after.count - before.count).to.be.below(24); // at least one batch held more than one query
  });

  it('remembers recent text queries: paging the same words does not encode them again', async () => {
    const sum = async () =>
      Number(
        /clipdex_encode_batch_size_sum\{tower="text"\} (\d+)/.exec(
          await (await fetch(`${t.base}/metrics`)).text(),
        )?.[1],
      );
    const q = encodeURIComponent('a query nobody asked before 🦄');
    const first = await get<Page>(`/api/search?q=${q}&k=5`);
    const encoded = await sum();
    const second = await get<Page>(`/api/search?q=${q}&k=5&cursor=${first.body.nextCursor}`);
    expect(second.status).to.equal(200);
    expect(await sum()).to.equal(encoded);
  });

  it('GET /metrics exposes request counts, latency, batch sizes and library size', async () => {
    const res = await fetch(`${t.base}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    const text = await res.text();
    expect(text).to.match(
      /clipdex_http_requests_total\{method="GET",route="\/api\/search",status="200"\} \d+/,
    );
    expect(text).to.include('clipdex_http_request_duration_seconds_bucket');
    expect(text).to.match(
      new RegExp(`clipdex_library_items\\{kind="image",status="indexed"\\} ${fx.rows.length}`),
    );
  });

  it('GET /openapi.json describes every route', async () => {
    const { status, body } = await get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      '/openapi.json',
    );
    expect(status).to.equal(200);
    expect(body.openapi).to.match(/^3\./);
    const routes = Object.entries(body.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(routes).to.include.members([
      'GET /api/search',
      'POST /api/search',
      'GET /api/items/{id}',
      'GET /api/items/{id}/file',
      'GET /api/items/{id}/thumbnail',
      'GET /api/items/{id}/similar',
      'POST /api/classify',
      'GET /health',
      'GET /metrics',
      'GET /openapi.json',
    ]);
  });

  it('serves the page and its assets from the same origin, with a strict CSP', async () => {
    const page = await fetch(`${t.base}/`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('<script type="module" src="/app.js">');
    expect(page.headers.get('content-security-policy')).to.include("script-src 'self'");
    for (const asset of ['/app.js', '/styles.css']) {
      expect((await fetch(`${t.base}${asset}`)).status).to.equal(200);
    }
  });
});
