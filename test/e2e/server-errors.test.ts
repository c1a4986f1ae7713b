// Every kind of bad request against the real server: the right status, the one JSON error shape
// with the request id, and the server still healthy afterwards.
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import {
  sharedFixture,
  solidPng,
  startTestServer,
  type ErrorJson,
  type Fixture,
  type TestServer,
} from './server-harness.ts';

describe('server e2e: bad requests', function () {
  this.timeout(180_000);
  let fx: Fixture;
  let t: TestServer;
  const MAX_UPLOAD = 256 * 1024;
  const MAX_PIXELS = 1_000_000;

  before(async () => {
    fx = await sharedFixture();
    t = await startTestServer(fx.libraryDir, { maxUploadBytes: MAX_UPLOAD, maxPixels: MAX_PIXELS });
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
    expect(res.status, `${init.method ?? 'GET'} ${url}`).to.equal(status);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).to.equal(code);
    expect(body.error.message).to.be.a('string').and.not.empty;
    expect(body.error.requestId).to.equal(res.headers.get('x-request-id'));
    return body;
  }
  const json = (body: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const raw = (type: string, body: Uint8Array | string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });

  it('bad JSON → 400', async () => {
    await expectError('/api/search', json('{"q": "cat",'), 400, 'INVALID_INPUT');
    await expectError('/api/classify', json('not json'), 400, 'INVALID_INPUT');
  });

  it('missing or empty q → 400 naming q', async () => {
    const body = await expectError('/api/search', {}, 400, 'INVALID_INPUT');
    expect(body.error.message).to.match(/\bq\b/);
    await expectError('/api/search?q=', {}, 400, 'INVALID_INPUT');
    await expectError('/api/search', json('{"target":"image"}'), 400, 'INVALID_INPUT');
  });

  it('bad k, target, minScore, sort, cursor or filter → 400', async () => {
    for (const qs of [
      'k=abc',
      'k=0',
      'k=-3',
      'k=1.5',
      'k=100000',
      'target=video',
      'minScore=2',
      'minScore=high',
      'sort=random',
      'cursor=%21%21',
      'modifiedAfter=yesterday-ish',
    ]) {
      await expectError(`/api/search?q=cat&${qs}`, {}, 400, 'INVALID_INPUT');
    }
    await expectError('/api/search', json('{"q":"cat","filter":{"colour":"red"}}'), 400, 'INVALID_INPUT');
    await expectError('/api/search', json('{"terms":[{"text":"cat","weight":-1}]}'), 400, 'INVALID_INPUT');
    await expectError('/api/search', json('{"terms":[{"vector":[1,2,3]}]}'), 422, 'DIMENSION_MISMATCH');
  });

  it('unknown routes → 404 JSON, for any method', async () => {
    await expectError('/api/nope', {}, 404, 'NOT_FOUND');
    await expectError('/nope/deeper', {}, 404, 'NOT_FOUND');
    await expectError('/api/search', { method: 'DELETE' }, 404, 'NOT_FOUND');
    await expectError('/health', { method: 'POST' }, 404, 'NOT_FOUND');
  });

  it('oversized uploads → 413, as raw bytes, multipart and base64 JSON', async () => {
    const big = new Uint8Array(MAX_UPLOAD + 1024).fill(7);
    await expectError('/api/search', raw('image/jpeg', big), 413, 'TOO_LARGE');
    const form = new FormData();
    form.set('image', new Blob([big], { type: 'image/jpeg' }), 'big.jpg');
    await expectError('/api/search', { method: 'POST', body: form }, 413, 'TOO_LARGE');
    const b64 = Buffer.from(new Uint8Array(MAX_UPLOAD * 2)).toString('base64');
    await expectError('/api/search', json(JSON.stringify({ image: b64 })), 413, 'TOO_LARGE');
  });

  it('non-image uploads → 415, and unsupported content types → 415', async () => {
    await expectError('/api/search', raw('image/png', 'this is not a png at all'), 415, 'UNSUPPORTED_MEDIA');
    const form = new FormData();
    form.set('image', new Blob(['plain text pretending'], { type: 'image/png' }), 'x.png');
    await expectError('/api/search', { method: 'POST', body: form }, 415, 'UNSUPPORTED_MEDIA');
    await expectError(
      '/api/search',
      json(JSON.stringify({ image: Buffer.from('GIF89a-but-not-really').toString('base64') })),
      415,
      'UNSUPPORTED_MEDIA',
    );
    await expectError('/api/search', raw('text/plain', 'hello'), 415, 'UNSUPPORTED_MEDIA');
    await expectError(
      '/api/classify',
      raw('application/x-www-form-urlencoded', 'labels=a'),
      415,
      'UNSUPPORTED_MEDIA',
    );
  });

  it('too many pixels → 413 (the decompression-bomb guard), though the bytes are small', async () => {
    const bomb = solidPng(1500, 1000); // 1.5 MP > 1 MP limit, a few KB on the wire
    expect(bomb.byteLength).to.be.below(MAX_UPLOAD);
    const body = await expectError('/api/search?target=text', raw('image/png', bomb), 413, 'TOO_LARGE');
    expect(body.error.message).to.match(/pixel/i);
    const ok = await fetch(`${t.base}/api/search?target=text&k=1`, raw('image/png', solidPng(100, 80)));
    expect(ok.status).to.equal(200);
  });

  it('empty bodies and a multipart form without an image → 400', async () => {
    await expectError('/api/search', { method: 'POST' }, 400, 'INVALID_INPUT');
    const form = new FormData();
    form.set('target', 'text');
    await expectError('/api/search', { method: 'POST', body: form }, 400, 'INVALID_INPUT');
    const wrongField = new FormData();
    wrongField.set(
      'photo',
      new Blob([await readFile(path.join(fx.corpus, fx.rows[0]!.image))], { type: 'image/png' }),
      'a.png',
    );
    await expectError('/api/search', { method: 'POST', body: wrongField }, 400, 'INVALID_INPUT');
  });

  it('unknown or malformed item ids → 404 / 400, and paths never reach the file system', async () => {
    for (const sub of ['', '/file', '/thumbnail', '/similar']) {
      await expectError(`/api/items/999999${sub}`, {}, 404, 'NOT_FOUND');
      await expectError(`/api/items/abc${sub}`, {}, 400, 'INVALID_INPUT');
    }
    await expectError('/api/items/0', {}, 400, 'INVALID_INPUT');
    await expectError('/api/items/1e3', {}, 400, 'INVALID_INPUT');
    await expectError('/api/items/..%2F..%2Fetc%2Fpasswd/file', {}, 400, 'INVALID_INPUT');
    const traversal = await fetch(`${t.base}/api/items/1/../../../etc/passwd`);
    expect(traversal.status).to.equal(404);
    await expectError(`/api/search`, json('{"terms":[{"itemId":999999}]}'), 404, 'NOT_FOUND');
    await expectError('/api/classify', json('{"itemId":999999,"labels":["a"]}'), 404, 'NOT_FOUND');
  });

  it('a text item has no thumbnail → 404', async () => {
    const root = t.engine.library.listRoots()[0]!;
    const image = t.engine.library.findByUri(root.id, path.basename(fx.rows[0]!.image))!;
    const caption = t.engine.library.linkedItems(image.id)[0]!;
    await expectError(`/api/items/${caption.id}/thumbnail`, {}, 404, 'NOT_FOUND');
    await expectError(`/api/items/${image.id}/thumbnail?size=5`, {}, 400, 'INVALID_INPUT');
  });

  it('classify without labels, with duplicates or without an image → 400', async () => {
    await expectError('/api/classify', json('{"itemId":1}'), 400, 'INVALID_INPUT');
    await expectError('/api/classify', json('{"itemId":1,"labels":[]}'), 400, 'INVALID_INPUT');
    await expectError('/api/classify', json('{"itemId":1,"labels":["a","a"]}'), 400, 'INVALID_INPUT');
    await expectError('/api/classify', json('{"labels":["a"]}'), 400, 'INVALID_INPUT');
    await expectError(
      '/api/classify',
      json('{"itemId":1,"labels":["a"],"template":"no slot"}'),
      400,
      'INVALID_INPUT',
    );
  });

  it('CORS is off by default: no Access-Control headers for a foreign origin', async () => {
    const res = await fetch(`${t.base}/api/search?q=cat`, { headers: { origin: 'https://evil.example' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('echoes a sane caller request id and replaces an unsafe one', async () => {
    const mine = await fetch(`${t.base}/health`, { headers: { 'x-request-id': 'trace-42' } });
    expect(mine.headers.get('x-request-id')).to.equal('trace-42');
    const unsafe = await fetch(`${t.base}/health`, { headers: { 'x-request-id': 'a b<script>' } });
    expect(unsafe.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });

  it('is still healthy after all of that', async () => {
    const res = await fetch(`${t.base}/health`);
    expect(res.status).to.equal(200);
    const search = await fetch(`${t.base}/api/search?q=cat&k=2`);
    expect(search.status).to.equal(200);
  });
});

describe('server e2e: CORS when configured', function () {
  this.timeout(120_000);
  let t: TestServer;
  before(async () => {
    t = await startTestServer((await sharedFixture()).libraryDir, { corsOrigin: 'https://photos.example' });
  });
  after(async () => {
    await t?.close();
  });

  it('answers the preflight and tags responses for the configured origin only', async () => {
    const pre = await fetch(`${t.base}/api/search`, {
      method: 'OPTIONS',
      headers: { origin: 'https://photos.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).to.equal(204);
    expect(pre.headers.get('access-control-allow-origin')).to.equal('https://photos.example');
    const other = await fetch(`${t.base}/api/search?q=cat`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).to.equal(null);
  });
});
