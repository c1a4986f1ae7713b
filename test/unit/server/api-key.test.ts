// The API-key guard on a real express app: every current route is read-only, so this is where
// the guard for future mutating routes is proven (missing, wrong, x-api-key, Bearer, unset).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { requireApiKey } from '../../../server/middleware/api-key.ts';
import { errorHandler } from '../../../server/middleware/error-handler.ts';
import { requestId } from '../../../server/middleware/request-id.ts';

async function serve(apiKey: string | undefined): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(requestId());
  app.post('/api/change', requireApiKey(apiKey), (_req, res) => {
    res.json({ changed: true });
  });
  app.use(errorHandler(undefined));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/change`, server };
}

describe('requireApiKey', () => {
  let guarded: { url: string; server: Server };
  let unset: { url: string; server: Server };
  before(async () => {
    guarded = await serve('s3cret-key');
    unset = await serve(undefined);
  });
  after(() => {
    guarded.server.close();
    unset.server.close();
  });

  it('refuses a request without a key: 401 UNAUTHORIZED JSON with a request id', async () => {
    const res = await fetch(guarded.url, { method: 'POST' });
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).to.equal('UNAUTHORIZED');
    expect(body.error.requestId).to.equal(res.headers.get('x-request-id'));
  });

  it('refuses a wrong key', async () => {
    const res = await fetch(guarded.url, { method: 'POST', headers: { 'x-api-key': 's3cret-kex' } });
    expect(res.status).to.equal(401);
  });

  it('accepts the key as x-api-key or as a Bearer token', async () => {
    const a = await fetch(guarded.url, { method: 'POST', headers: { 'x-api-key': 's3cret-key' } });
    const b = await fetch(guarded.url, { method: 'POST', headers: { authorization: 'Bearer s3cret-key' } });
    expect([a.status, b.status]).to.deep.equal([200, 200]);
  });

  it('refuses everyone when the server has no key configured', async () => {
    const res = await fetch(unset.url, { method: 'POST', headers: { 'x-api-key': 'anything' } });
    expect(res.status).to.equal(401);
  });
});
