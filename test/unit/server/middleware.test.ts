// Timeouts and the 500 fallback on a real express app (no model needed): a slow handler gets a
// JSON 503 TIMEOUT; a bug becomes a generic 500 that names the request id and leaks nothing.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { EngineError } from '../../../src/errors.ts';
import { errorHandler, notFound } from '../../../server/middleware/error-handler.ts';
import { requestId } from '../../../server/middleware/request-id.ts';
import { timeout } from '../../../server/middleware/timeout.ts';

describe('server middleware', () => {
  // The slow handler finishes only when the test lets it, after the timeout has answered: the
  // order is fixed by the test, not by racing two real-clock sleeps.
  let releaseSlow!: () => void;
  const slowReleased = new Promise<void>((r) => (releaseSlow = r));
  let lateFound: Promise<boolean> | undefined;
  let server: Server;
  let base: string;
  const logged: string[] = [];

  before(async () => {
    const app = express();
    app.use(requestId());
    app.use(timeout(50));
    app.get('/slow', (_req, res) => {
      // Resolves with whether the response was already sent when the handler finally finished.
      lateFound = slowReleased.then(() => {
        const alreadySent = res.headersSent;
        if (!alreadySent) res.json({ late: true });
        return alreadySent;
      });
    });
    app.get('/bug', () => {
      throw new TypeError('secret internals at /home/me/library.db');
    });
    app.get('/io', () => {
      throw new EngineError('IO_ERROR', 'disk full under /home/me');
    });
    app.get('/busy', () => {
      throw new EngineError('LIBRARY_BUSY', 'another process holds the lock');
    });
    app.use(notFound);
    app.use(errorHandler((line) => logged.push(line)));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    releaseSlow();
    server.close();
  });

  it('answers 503 TIMEOUT when a handler runs past the budget', async () => {
    const res = await fetch(`${base}/slow`);
    expect(res.status).to.equal(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('TIMEOUT');
    // The handler's late result is dropped: its response was already sent.
    releaseSlow();
    expect(await lateFound).to.equal(true);
  });

  it('turns an unexpected exception into a generic 500 with the request id, logging the details', async () => {
    const res = await fetch(`${base}/bug`);
    expect(res.status).to.equal(500);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).to.equal('INTERNAL');
    expect(body.error.message).to.not.include('secret');
    expect(body.error.message).to.include(body.error.requestId);
    expect(logged.some((l) => l.includes('secret internals') && l.includes(body.error.requestId))).to.equal(
      true,
    );
  });

  it('hides the message of server-side engine errors but keeps their code', async () => {
    const res = await fetch(`${base}/io`);
    expect(res.status).to.equal(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('IO_ERROR');
    expect(body.error.message).to.not.include('/home/me');
  });

  it('passes client-facing engine errors through with their status', async () => {
    const res = await fetch(`${base}/busy`);
    expect(res.status).to.equal(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).to.include('lock');
  });
});
