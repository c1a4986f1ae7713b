import { expect } from 'chai';
import { checkFusion, fuse } from '../../../src/search/fusion.ts';

describe('search/fusion', () => {
  const vector = [
    { id: 1, score: 0.3 },
    { id: 2, score: 0.28 },
    { id: 3, score: 0.1 },
  ];
  const keyword = [
    { id: 3, score: 9 },
    { id: 4, score: 3 },
  ];

  it('RRF (k = 60) sums 1/(k + rank) over the legs; an item in both wins', () => {
    const out = fuse(vector, keyword, { method: 'rrf', k: 60 });
    expect(out.map((h) => h.id)).to.deep.equal([3, 1, 2, 4]);
    expect(out[0]!.fused).to.be.closeTo(1 / 63 + 1 / 61, 1e-12);
    expect(out[0]).to.include({ vector: 0.1, keyword: 9 });
    expect(out.find((h) => h.id === 4)).to.include({ vector: null, keyword: 3 });
    expect(out.find((h) => h.id === 1)).to.include({ keyword: null });
  });

  it('convex: alpha 1 is the vector order, alpha 0 the keyword order', () => {
    expect(
      fuse(vector, keyword, { method: 'convex', alpha: 1 })
        .map((h) => h.id)
        .slice(0, 3),
    ).to.deep.equal([1, 2, 3]);
    expect(
      fuse(vector, keyword, { method: 'convex', alpha: 0 })
        .map((h) => h.id)
        .slice(0, 2),
    ).to.deep.equal([3, 4]);
    const mid = fuse(vector, keyword, { method: 'convex', alpha: 0.5 });
    // id 3: vector normalised to 0 (the minimum), keyword 9/9 = 1 → 0.5; id 1: 0.5 · 1 + 0 = 0.5; tie → vector rank.
    expect(mid[0]!.id).to.equal(1);
    expect(mid[0]!.fused).to.be.closeTo(0.5, 1e-12);
  });

  it('validates its parameters', () => {
    expect(checkFusion({ method: 'convex', alpha: 1.5 })).to.be.a('string');
    expect(checkFusion({ method: 'rrf', k: 0 })).to.be.a('string');
    expect(checkFusion({ method: 'rrf' })).to.equal(undefined);
  });
});
