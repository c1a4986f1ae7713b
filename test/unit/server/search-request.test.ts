import { expect } from 'chai';
import { isEngineError } from '../../../src/errors.ts';
import { STATUS_BY_CODE } from '../../../server/middleware/error-handler.ts';
import {
  fromJsonBody,
  fromMultipart,
  fromQueryString,
  fromSimilar,
} from '../../../server/routes/search-request.ts';

function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isEngineError(error, 'INVALID_INPUT')) return error.message;
    throw error;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('search request parsing', () => {
  it('GET: q, target, k, minScore, sort and flat filters', () => {
    const r = fromQueryString({
      q: ' 红色的花 🌸 ',
      target: 'text',
      k: '5',
      minScore: '0.2',
      sort: 'date',
      formats: 'PNG,jpeg',
      minWidth: '10',
      modifiedAfter: '2024-01-01',
    });
    expect(r.terms).to.deep.equal([{ text: '红色的花 🌸' }]);
    expect([r.target, r.k, r.minScore, r.sort]).to.deep.equal(['text', 5, 0.2, 'date']);
    expect(r.filter).to.deep.equal({
      formats: ['png', 'jpeg'],
      minWidth: 10,
      modifiedAfter: Date.parse('2024-01-01'),
    });
  });

  it('GET defaults: images, 24 per page, by score, no filter', () => {
    const r = fromQueryString({ q: 'cat' });
    expect([r.target, r.k, r.sort, r.filter, r.minScore]).to.deep.equal([
      'image',
      24,
      'score',
      undefined,
      undefined,
    ]);
    expect(fromQueryString({ q: 'cat', minScore: 'auto' }).minScore).to.equal('auto');
  });

  it('GET refuses a missing or empty q, a bad k, a bad target and a bad minScore', () => {
    expect(invalid(() => fromQueryString({}))).to.match(/q/);
    expect(invalid(() => fromQueryString({ q: '   ' }))).to.match(/q/);
    expect(invalid(() => fromQueryString({ q: 'x', k: '0' }))).to.match(/k/);
    expect(invalid(() => fromQueryString({ q: 'x', k: '2.5' }))).to.match(/k/);
    expect(invalid(() => fromQueryString({ q: 'x', k: '100000' }))).to.match(/k/);
    expect(invalid(() => fromQueryString({ q: 'x', target: 'video' }))).to.match(/target/);
    expect(invalid(() => fromQueryString({ q: 'x', minScore: '2' }))).to.match(/minScore/);
    expect(invalid(() => fromQueryString({ q: ['a', 'b'] }))).to.match(/q/);
  });

  it('POST JSON: weighted terms with negatives, base64 images and a filter', () => {
    const png = Buffer.from([137, 80, 78, 71, 1, 2, 3, 4]).toString('base64');
    const r = fromJsonBody({
      q: 'beach',
      terms: [
        { text: 'people', weight: -0.5 },
        { itemId: 42, weight: 0.5 },
        { image: `data:image/png;base64,${png}` },
        { vector: [0.1, 0.2] },
      ],
      target: 'image',
      filter: { pathPrefix: 'holidays/', maxSize: 1000 },
    });
    expect(r.terms[0]).to.deep.equal({ text: 'beach' });
    expect(r.terms[1]).to.deep.equal({ text: 'people', weight: -0.5 });
    expect(r.terms[2]).to.deep.equal({ itemId: 42, weight: 0.5 });
    const image = r.terms[3] as { image: Uint8Array };
    expect([...image.image.slice(0, 4)]).to.deep.equal([137, 80, 78, 71]);
    expect((r.terms[4] as { vector: Float32Array }).vector).to.be.instanceOf(Float32Array);
    expect(r.filter).to.deep.equal({ pathPrefix: 'holidays/', maxSize: 1000 });
  });

  it('POST JSON refuses empty queries, unknown fields, zero weights and non-objects', () => {
    expect(invalid(() => fromJsonBody({ target: 'image' }))).to.match(/q|image|terms/);
    expect(invalid(() => fromJsonBody({ q: 'x', bogus: 1 }))).to.match(/bogus|unrecognized/i);
    expect(invalid(() => fromJsonBody({ terms: [{ text: 'x', weight: 0 }] }))).to.match(/weight/);
    expect(invalid(() => fromJsonBody([1, 2]))).to.match(/search body/);
    expect(invalid(() => fromJsonBody({ image: 'not base64 !!' }))).to.match(/base64/);
  });

  it('multipart fields: image plus words, terms and filter as JSON text', () => {
    const r = fromMultipart(
      { q: 'dog', k: '3', terms: '[{"text":"cat","weight":-1}]', filter: '{"formats":["png"]}' },
      new Uint8Array([1, 2]),
    );
    expect(r.terms.length).to.equal(3);
    expect(r.k).to.equal(3);
    expect(r.filter).to.deep.equal({ formats: ['png'] });
    expect(invalid(() => fromMultipart({ filter: '{oops' }, new Uint8Array([1])))).to.match(/filter/);
    expect(invalid(() => fromMultipart({}, undefined))).to.match(/image/);
  });

  it('similar: the item is the query', () => {
    expect(fromSimilar(7, { target: 'text' }).terms).to.deep.equal([{ itemId: 7 }]);
  });

  it('maps every error code to an HTTP status', () => {
    expect(STATUS_BY_CODE.INVALID_INPUT).to.equal(400);
    expect(STATUS_BY_CODE.TOO_LARGE).to.equal(413);
    expect(STATUS_BY_CODE.UNSUPPORTED_MEDIA).to.equal(415);
    expect(STATUS_BY_CODE.NOT_FOUND).to.equal(404);
    expect(Object.values(STATUS_BY_CODE).every((s) => s >= 400 && s < 600)).to.equal(true);
  });
});
