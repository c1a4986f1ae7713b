import { expect } from 'chai';
import { EngineError } from '../../../src/errors.ts';
import { computeRecall } from '../../../src/eval/recall.ts';

const v = (...xs: number[]) => Float32Array.from(xs);
/** Unit vector along axis i of a d-dimensional space. */
const axis = (i: number, d = 4) => Float32Array.from({ length: d }, (_, j) => (j === i ? 1 : 0));

describe('computeRecall', () => {
  it('scores a perfect model 100% in both directions', () => {
    const images = [axis(0), axis(1), axis(2)];
    const r = computeRecall({
      images,
      captions: [axis(0), axis(1), axis(2)],
      captionImage: [0, 1, 2],
      ks: [1, 5],
    });
    expect(r.t2i).to.deep.equal({ r1: 100, r5: 100 });
    expect(r.i2t).to.deep.equal({ r1: 100, r5: 100 });
  });

  it('counts a hit only when the right item is within K', () => {
    // Caption 0 prefers image 1, then image 0: rank 2 → miss at K=1, hit at K=2.
    const images = [v(1, 0), v(0, 1)];
    const captions = [v(0.6, 0.8), v(0, 1)];
    const r = computeRecall({ images, captions, captionImage: [0, 1], ks: [1, 2] });
    expect(r.t2i).to.deep.equal({ r1: 50, r2: 100 });
  });

  it('treats ties pessimistically so a constant model gets no free hits', () => {
    const same = v(1, 0);
    const r = computeRecall({
      images: [same, same, same],
      captions: [same, same, same],
      captionImage: [0, 1, 2],
      ks: [1, 2],
    });
    expect(r.t2i).to.deep.equal({ r1: 0, r2: 0 });
    expect(r.i2t).to.deep.equal({ r1: 0, r2: 0 });
  });

  it('image→text hits when any caption of the image is in the top K', () => {
    // Image 0 has two captions; only its second is near it, and that one ranks first.
    const images = [v(1, 0), v(0, 1)];
    const captions = [v(0, 1), v(1, 0), v(0.1, 0.995)];
    const r = computeRecall({ images, captions, captionImage: [0, 0, 1], ks: [1] });
    expect(r.i2t.r1).to.equal(50); // image 1's own caption is beaten by image 0's first caption
    expect(r.i2tQueries).to.equal(2);
    expect(r.t2iQueries).to.equal(3);
  });

  it('ranks against caption-less distractor images but never asks about them', () => {
    const images = [axis(0), v(0.8, 0.6, 0, 0), axis(2)];
    const captions = [v(0.6, 0.8, 0, 0)];
    const r = computeRecall({ images, captions, captionImage: [0], ks: [1, 2] });
    expect(r.t2i).to.deep.equal({ r1: 0, r2: 100 }); // the distractor wins rank 1
    expect(r.i2tQueries).to.equal(1);
  });

  it('rejects mismatched inputs', () => {
    const bad = () => computeRecall({ images: [axis(0)], captions: [axis(0)], captionImage: [], ks: [1] });
    expect(bad).to.throw(EngineError, /captionImage/);
    const outOfRange = () =>
      computeRecall({ images: [axis(0)], captions: [axis(0)], captionImage: [3], ks: [1] });
    expect(outOfRange).to.throw(EngineError, /image 3/);
    const badK = () => computeRecall({ images: [axis(0)], captions: [axis(0)], captionImage: [0], ks: [0] });
    expect(badK).to.throw(EngineError, /positive integers/);
    const dims = () =>
      computeRecall({ images: [axis(0, 3)], captions: [axis(0, 4)], captionImage: [0], ks: [1] });
    expect(dims).to.throw(EngineError).with.property('code', 'DIMENSION_MISMATCH');
  });
});
