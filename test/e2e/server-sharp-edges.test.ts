// The sharp edges a hostile tester found (issue 16), against the real server: each answers in the
// one error shape with the right status and a message that says what to fix.
import { expect } from 'chai';
import { MAX_QUERY_CHARS } from '../../src/defaults.ts';
import {
  sharedFixture,
  startTestServer,
  type ErrorJson,
  type Fixture,
  type TestServer,
} from './server-harness.ts';

describe('server e2e: sharp edges', function () {
  this.timeout(180_000);
  let fx: Fixture;
  let t: TestServer;

  before(async () => {
    fx = await sharedFixture();
    t = await startTestServer(fx.libraryDir);
  });
  after(async () => {
    await t?.close();
  });

  async function expectError(
    url: string,
    init: RequestInit,
    status: number,
    code: string,
  ): Promise<ErrorJson> {
    const res = await fetch(`${t.base}${url}`, init);
    expect(res.status, `${init.method ?? 'GET'} ${url.slice(0, 80)}`).to.equal(status);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).to.equal(code);
    expect(body.error.message).to.be.a('string').and.not.empty;
    expect(body.error.requestId).to.equal(res.headers.get('x-request-id'));
    return body;
  }
  const post = (body: string, headers: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

  it('1. a gzip or deflate body that does not inflate → 400, on search and classify', async () => {
    for (const encoding of ['gzip', 'deflate']) {
      for (const route of ['/api/search', '/api/classify']) {
        const body = await expectError(
          route,
          post('{"q":"cat"} but not compressed', { 'content-encoding': encoding }),
          400,
          'INVALID_INPUT',
        );
        expect(body.error.message).to.match(/Content-Encoding/);
      }
    }
    await expectError(
      '/api/search',
      { method: 'POST', headers: { 'content-type': 'image/png', 'content-encoding': 'gzip' }, body: 'nope' },
      400,
      'INVALID_INPUT',
    );
  });

  it('2. weighted terms that cancel out, or an all-zero vector → 400 with a reason', async () => {
    const cancel = await expectError(
      '/api/search',
      post(
        JSON.stringify({
          terms: [
            { text: 'cat', weight: 1 },
            { text: 'cat', weight: -1 },
          ],
        }),
      ),
      400,
      'INVALID_INPUT',
    );
    expect(cancel.error.message).to.match(/cancel/);
    const dim = t.engine.library.fingerprint.dim;
    const zero = await expectError(
      '/api/search',
      post(JSON.stringify({ terms: [{ vector: new Array<number>(dim).fill(0) }] })),
      400,
      'INVALID_INPUT',
    );
    expect(zero.error.message).to.match(/zero/);
    // A vector of the right size that is not zero still works (and counts as a direction, whatever its length).
    const ok = await fetch(
      `${t.base}/api/search`,
      post(JSON.stringify({ terms: [{ vector: new Array<number>(dim).fill(3) }], k: 3 })),
    );
    expect(ok.status).to.equal(200);
  });

  it('3. a query over the length limit says the limit, on GET as on POST', async () => {
    const long = 'x'.repeat(MAX_QUERY_CHARS + 1);
    const get = await expectError(`/api/search?q=${long}`, {}, 400, 'INVALID_INPUT');
    const viaPost = await expectError('/api/search', post(JSON.stringify({ q: long })), 400, 'INVALID_INPUT');
    for (const body of [get, viaPost]) {
      expect(body.error.message)
        .to.include(String(MAX_QUERY_CHARS))
        .and.not.match(/missing/);
    }
  });

  it('4. GET and POST validate alike: unknown filter keys and unknown formats → 400', async () => {
    const bogus = await expectError('/api/search?q=cat&bogusFilter=1', {}, 400, 'INVALID_INPUT');
    expect(bogus.error.message).to.include('bogusFilter');
    await expectError('/api/search', post('{"q":"cat","filter":{"bogusFilter":1}}'), 400, 'INVALID_INPUT');
    const exe = await expectError('/api/search?q=cat&formats=exe', {}, 400, 'INVALID_INPUT');
    expect(exe.error.message).to.include("'exe'");
    await expectError('/api/search', post('{"q":"cat","filter":{"formats":["exe"]}}'), 400, 'INVALID_INPUT');
    // Known names, in any case and with the usual aliases, still pass.
    expect((await fetch(`${t.base}/api/search?q=cat&formats=JPG,png&k=2`)).status).to.equal(200);
    expect(
      (await fetch(`${t.base}/api/search`, post('{"q":"cat","k":2,"filter":{"formats":["jpeg","PNG"]}}')))
        .status,
    ).to.equal(200);
  });

  it('4. an empty image is a 400, as raw bytes and as a multipart file', async () => {
    const raw = await expectError(
      '/api/search',
      { method: 'POST', headers: { 'content-type': 'image/png', 'content-length': '0' } },
      400,
      'INVALID_INPUT',
    );
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(0)], { type: 'image/png' }), 'empty.png');
    const multipart = await expectError('/api/search', { method: 'POST', body: form }, 400, 'INVALID_INPUT');
    for (const body of [raw, multipart]) expect(body.error.message).to.match(/empty/);
  });

  it('6. a URL over the header limit (~16 KB) → 431 in the error shape', async () => {
    const res = await fetch(`${t.base}/api/search?q=${'y'.repeat(20_000)}`);
    expect(res.status).to.equal(431);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).to.equal('TOO_LARGE');
    expect(body.error.message).to.match(/POST/);
    expect(body.error.requestId).to.equal(res.headers.get('x-request-id'));
    // The server is fine afterwards.
    expect((await fetch(`${t.base}/health`)).status).to.equal(200);
  });
});
