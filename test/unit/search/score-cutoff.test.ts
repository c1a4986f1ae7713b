import { expect } from 'chai';
import { autoCutoff } from '../../../src/search/score-cutoff.ts';

describe('autoCutoff', () => {
  it('cuts at the largest drop after a plateau of relevant scores', () => {
    expect(autoCutoff([0.41, 0.4, 0.39, 0.38, 0.21, 0.2, 0.19, 0.18])).to.equal(4);
  });

  it('keeps everything in the window when the curve is flat', () => {
    const flat = Array.from({ length: 50 }, (_, i) => 0.3 - i * 0.001);
    expect(autoCutoff(flat)).to.equal(50);
  });

  it('never cuts more than it was given and handles tiny inputs', () => {
    expect(autoCutoff([])).to.equal(0);
    expect(autoCutoff([0.5, 0.1])).to.equal(2);
  });

  it('only looks inside the window', () => {
    const scores = [...Array.from({ length: 10 }, () => 0.5), 0.1, 0.09];
    expect(autoCutoff(scores, 5)).to.equal(5);
    expect(autoCutoff(scores, 12)).to.equal(10);
  });
});
