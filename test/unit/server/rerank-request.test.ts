// `rerank` on every way of asking: true | {k} in JSON, true/false/a number in query strings.
import { expect } from 'chai';
import { isEngineError } from '../../../src/errors.ts';
import { decodeCursor, encodeCursor } from '../../../src/search/cursor.ts';
import {
  fromJsonBody,
  fromMultipart,
  fromQueryString,
  fromSimilar,
} from '../../../server/routes/search-request.ts';

describe('rerank request option', () => {
  it('GET: rerank=true / 1 / a number k / false', () => {
    expect(fromQueryString({ q: 'a', rerank: 'true' }).rerank).to.deep.equal({});
    expect(fromQueryString({ q: 'a', rerank: '1' }).rerank).to.deep.equal({});
    expect(fromQueryString({ q: 'a', rerank: '64' }).rerank).to.deep.equal({ k: 64 });
    expect(fromQueryString({ q: 'a', rerank: 'false' }).rerank).to.equal(undefined);
    expect(fromQueryString({ q: 'a' }).rerank).to.equal(undefined);
  });

  it('POST JSON: true or {k}', () => {
    expect(fromJsonBody({ q: 'a', rerank: true }).rerank).to.deep.equal({});
    expect(fromJsonBody({ q: 'a', rerank: { k: 32 } }).rerank).to.deep.equal({ k: 32 });
    expect(fromJsonBody({ q: 'a', rerank: {} }).rerank).to.deep.equal({});
    expect(fromJsonBody({ q: 'a', rerank: false }).rerank).to.equal(undefined);
  });

  it('multipart fields and similar-item requests carry it too', () => {
    expect(fromMultipart({ q: 'a', rerank: '16' }, undefined).rerank).to.deep.equal({ k: 16 });
    expect(fromSimilar(3, { target: 'text', rerank: 'true' }).rerank).to.deep.equal({});
  });

  it('refuses bad depths and shapes', () => {
    for (const body of [
      { q: 'a', rerank: { k: 0 } },
      { q: 'a', rerank: { k: 257 } },
      { q: 'a', rerank: { k: 2.5 } },
      { q: 'a', rerank: 'yes' },
      { q: 'a', rerank: { depth: 3 } },
    ]) {
      let error: unknown;
      try {
        fromJsonBody(body);
      } catch (e) {
        error = e;
      }
      expect(isEngineError(error, 'INVALID_INPUT'), JSON.stringify(body)).to.equal(true);
    }
    expect(() => fromQueryString({ q: 'a', rerank: '999' })).to.throw();
  });

  it('cursors carry the re-ranked window and refuse tampering', () => {
    const window = { ids: [5, 3, 900_000], itm: [2.5, -1.25, 0] };
    expect(decodeCursor(encodeCursor({ offset: 7, rerank: window }))).to.deep.equal({
      offset: 7,
      rerank: window,
    });
    expect(decodeCursor(encodeCursor({ offset: 7 }))).to.deep.equal({ offset: 7 });
    const bad = Buffer.from(JSON.stringify({ o: 1, r: 'abc' })).toString('base64url');
    expect(() => decodeCursor(bad)).to.throw(/invalid cursor/);
    // 256 re-ranked hits still fit the cursor's size limit.
    const big = encodeCursor({
      offset: 200,
      rerank: { ids: Array.from({ length: 256 }, (_, i) => 1e6 + i), itm: new Array<number>(256).fill(1.5) },
    });
    expect(big.length).to.be.below(4096);
  });
});
