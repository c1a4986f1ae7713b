import { expect } from 'chai';
import { jpegShrinkFactor } from '../../../src/image/sharp-decoder.ts';

describe('jpegShrinkFactor', () => {
  it('picks the largest of 2/4/8 that keeps the short side', () => {
    expect(jpegShrinkFactor(4000, 2667, 768)).to.equal(2);
    expect(jpegShrinkFactor(4000, 2667, 600)).to.equal(4);
    expect(jpegShrinkFactor(8000, 6000, 700)).to.equal(8);
  });

  it('never shrinks when the short side is already close to the limit', () => {
    expect(jpegShrinkFactor(4000, 2667, 2688)).to.equal(1);
    expect(jpegShrinkFactor(320, 240, 768)).to.equal(1);
  });
});
