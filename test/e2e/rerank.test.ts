/**
 * The second stage end to end with the bundled model and its ITM package
 * (fixtures/models/clipdex-mini-itm): image states stored by the real indexer, re-ranking through
 * the engine, the HTTP API and the CLI (search and eval), and the typed refusal of a model that
 * has no ITM stage.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openEngine, type Engine } from '../../src/engine.ts';
import { isEngineError } from '../../src/errors.ts';
import { bundledModelDir } from '../../src/model/bundled-model.ts';
import type { LibraryStore } from '../../src/store/library-store.ts';
import { clipdex } from './indexer-helpers.ts';
import {
  sharedFixture,
  startTestServer,
  type ErrorJson,
  type Fixture,
  type TestServer,
} from './server-harness.ts';

interface HitJson {
  id: number;
  score: number;
  scores?: { vector?: number; itm?: number };
}
interface PageJson {
  results: HitJson[];
  nextCursor: string | null;
  rerank: { stage: string; k: number; reranked: number } | null;
}

describe('re-ranking with the bundled ITM stage (e2e)', function () {
  this.timeout(180_000);
  let fixture: Fixture;
  let engine: Engine;
  let test: TestServer;

  before(async () => {
    fixture = await sharedFixture();
    engine = await openEngine({
      libraryDir: fixture.libraryDir,
      modelDir: bundledModelDir(),
      readOnly: true,
      threads: 1,
    });
    test = await startTestServer(fixture.libraryDir);
  });

  after(async () => {
    await test?.close();
    await engine?.close();
  });

  it('finds the ITM package beside the bundled model and stores image states at index time (≤ 16 KB each)', () => {
    const itm = engine.model.itm;
    expect(itm, 'ITM stage').to.not.equal(undefined);
    expect(itm!.info.name).to.equal('clipdex-mini-itm');
    expect(itm!.info.sharesPixels).to.equal(true);
    expect(itm!.info.featureBytes).to.be.at.most(16 * 1024);
    const store = engine.library as LibraryStore;
    expect(store.itmFeatureCount(itm!.info.id)).to.equal(engine.library.counts('image').indexed);
  });

  it('re-ranks words → images: a permutation of the first-stage top k, with scores.itm, deterministic', async () => {
    const terms = [{ text: 'pizza' }];
    const plain = await engine.search.search({ target: 'image', terms, k: 16 });
    const a = await engine.search.search({ target: 'image', terms, k: 16, rerank: { k: 16 } });
    const b = await engine.search.search({ target: 'image', terms, k: 16, rerank: { k: 16 } });
    expect(a.rerank).to.deep.equal({ stage: 'clipdex-mini-itm', k: 16, reranked: 16 });
    const sorted = (ids: number[]) => [...ids].sort((x, y) => x - y);
    expect(sorted(a.results.map((h) => h.item.id))).to.deep.equal(
      sorted(plain.results.map((h) => h.item.id)),
    );
    expect(a.results.map((h) => h.item.id)).to.deep.equal(b.results.map((h) => h.item.id));
    for (const hit of a.results) {
      expect(hit.scores?.itm).to.be.a('number');
      expect(hit.score).to.be.closeTo(hit.scores!.itm! + 26.5 * hit.scores!.vector!, 1e-3);
    }
  });

  it('re-ranks an image item → texts (image → text)', async () => {
    const imageId = (await engine.search.search({ target: 'image', terms: [{ text: 'dog' }], k: 1 }))
      .results[0]!.item.id;
    const page = await engine.search.search({
      target: 'text',
      terms: [{ itemId: imageId }],
      k: 10,
      rerank: {},
    });
    expect(page.rerank?.reranked).to.equal(Math.min(32, engine.library.counts('text').indexed));
    expect(page.results.every((h) => h.item.kind === 'text' && typeof h.scores?.itm === 'number')).to.equal(
      true,
    );
  });

  it('pages through one re-ranked list over HTTP (cursor), with a filter, k beyond the hit count', async () => {
    const prefix = 'images/1F';
    const one = (await await fetch(`${test.base}/api/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ q: 'face', k: 200, rerank: { k: 200 }, filter: { pathPrefix: prefix } }),
    }).then((r) => r.json())) as PageJson;
    expect(one.rerank?.k).to.equal(200);
    expect(one.rerank?.reranked).to.equal(one.results.length);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({
        q: 'face',
        k: '7',
        rerank: '200',
        pathPrefix: prefix,
        ...(cursor ? { cursor } : {}),
      });
      const page = (await (await fetch(`${test.base}/api/search?${query.toString()}`)).json()) as PageJson;
      seen.push(...page.results.map((h) => h.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).to.deep.equal(one.results.map((h) => h.id));
    const items = await Promise.all(
      seen
        .slice(0, 5)
        .map(async (id) => (await (await fetch(`${test.base}/api/items/${id}`)).json()) as { uri: string }),
    );
    for (const item of items) expect(item.uri.startsWith(prefix)).to.equal(true);
  });

  it('CLI: search --rerank and eval --rerank keep their JSON shapes', async () => {
    const search = await clipdex([
      'search',
      'pizza',
      '--library',
      fixture.libraryDir,
      '--rerank',
      '8',
      '--k',
      '5',
      '--threads',
      '1',
      '--json',
    ]);
    expect(search.code, search.stderr).to.equal(0);
    const doc = JSON.parse(search.stdout) as { results: HitJson[]; rerank: { k: number } };
    expect(doc.rerank.k).to.equal(8);
    expect(doc.results[0]!.scores?.itm).to.be.a('number');
    const manifest = path.join(fixture.corpus, 'captions.jsonl');
    const evaluation = await clipdex(['eval', '--manifest', manifest, '--rerank', '--json']);
    expect(evaluation.code, evaluation.stderr).to.equal(0);
    const report = JSON.parse(evaluation.stdout) as {
      t2i: Record<string, number>;
      i2t: Record<string, number>;
      rerank: { k: number; stage: string };
    };
    expect(Object.keys(report.t2i)).to.deep.equal(['r1', 'r5', 'r10']);
    expect(report.rerank).to.include({ k: 32, stage: 'clipdex-mini-itm' });
  });

  it('refuses re-ranking for a model without an ITM stage (typed RERANK_UNAVAILABLE) and queries it cannot score (400)', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-noitm-'));
    try {
      // The same model, copied where no ITM package sits beside it.
      const alone = path.join(tmp, 'clipdex-mini');
      await cp(bundledModelDir(), alone, { recursive: true });
      const bare = await openEngine({
        libraryDir: fixture.libraryDir,
        modelDir: alone,
        readOnly: true,
        threads: 1,
      });
      try {
        expect(bare.model.itm).to.equal(undefined);
        const error = await bare.search
          .search({ target: 'image', terms: [{ text: 'pizza' }], rerank: {} })
          .catch((e: unknown) => e);
        expect(isEngineError(error, 'RERANK_UNAVAILABLE'), String(error)).to.equal(true);
      } finally {
        await bare.close();
      }
      const cli = await clipdex([
        'search',
        'pizza',
        '--library',
        fixture.libraryDir,
        '--model',
        alone,
        '--rerank',
        '--threads',
        '1',
      ]);
      expect(cli.code).to.not.equal(0);
      expect(cli.stderr).to.match(/RERANK_UNAVAILABLE|image–text matching/);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    const res = await fetch(`${test.base}/api/search?q=pizza&target=text&rerank=true`);
    expect(res.status).to.equal(400); // words → texts cannot be re-ranked by ITM
    expect(((await res.json()) as ErrorJson).error.code).to.equal('INVALID_INPUT');
  });
});
