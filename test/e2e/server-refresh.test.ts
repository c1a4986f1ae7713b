// A `clipdex index` run in another process adds items while the server is up: they become
// searchable without a restart, and `clipdex demo --no-serve` builds the demo library.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  demoRows,
  indexCorpus,
  removeFixture,
  startTestServer,
  writeCorpus,
  type TestServer,
} from './server-harness.ts';

describe('server e2e: items indexed meanwhile become searchable', function () {
  this.timeout(180_000);
  let tmp: string;
  let t: TestServer | undefined;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-refresh-'));
  });
  after(async () => {
    await t?.close();
    await removeFixture(tmp);
  });

  it('finds images added by a concurrent indexer run, no restart', async () => {
    const rows = (await demoRows()).slice(60, 70);
    const corpus = path.join(tmp, 'corpus');
    const library = path.join(tmp, 'library');
    await writeCorpus(corpus, rows.slice(0, 4));
    await indexCorpus(corpus, library);
    t = await startTestServer(library, { refreshIntervalMs: 100 });

    const newcomer = rows[7]!;
    const search = async () => {
      const res = await fetch(`${t!.base}/api/search?q=${encodeURIComponent(newcomer.captions[0]!)}&k=20`);
      return (await res.json()) as { results: { uri: string }[] };
    };
    expect((await search()).results.map((h) => h.uri)).to.not.include(path.basename(newcomer.image));

    await writeCorpus(corpus, rows); // six more images and their captions
    await indexCorpus(corpus, library); // a separate process writing to the library the server reads

    let uris: string[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      uris = (await search()).results.map((h) => h.uri);
      if (uris.includes(path.basename(newcomer.image))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(uris).to.include(path.basename(newcomer.image));
    expect(uris).to.have.length(rows.length);
    const health = (await (await fetch(`${t.base}/health`)).json()) as {
      library: { images: { indexed: number } };
    };
    expect(health.library.images.indexed).to.equal(rows.length);
  });
});
