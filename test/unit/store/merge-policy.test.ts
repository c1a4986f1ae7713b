import { expect } from 'chai';
import { pickSources } from '../../../src/store/vector-segments.ts';

/** Runs the policy to rest, 20k seals at a time, the way a long ingest would (merges instant). */
function ingest(total: number, cap: number): { sizes: number[]; inserted: number } {
  let segments: { id: number; live: number }[] = [];
  let next = 1;
  let inserted = 0;
  for (let n = 0; n < total; n += 20_000) {
    segments.push({ id: next++, live: 20_000 });
    inserted += 20_000;
    for (let picked = pickSources(segments, 4, cap); picked; picked = pickSources(segments, 4, cap)) {
      const sources = segments.filter((s) => picked.includes(s.id));
      const live = sources.reduce((a, s) => a + s.live, 0);
      inserted += live - sources.find((s) => s.id === picked[0])!.live; // built on the target
      segments = segments.filter((s) => !picked.includes(s.id));
      segments.push({ id: next++, live });
    }
  }
  return { sizes: segments.map((s) => s.live).sort((a, b) => b - a), inserted };
}

describe('segment merge policy', () => {
  it('merges the smaller segments into the first one they reach a quarter of', () => {
    // 23k < 100k / 4: not into the big one; but 8k ≥ 15k / 4: into the 15k one.
    expect(
      pickSources(
        [
          { id: 1, live: 100_000 },
          { id: 2, live: 15_000 },
          { id: 3, live: 8_000 },
        ],
        4,
        Infinity,
      ),
    ).to.deep.equal([2, 3]);
    expect(
      pickSources(
        [
          { id: 1, live: 100_000 },
          { id: 2, live: 20_000 },
          { id: 3, live: 10_000 },
        ],
        4,
        Infinity,
      ),
    ).to.deep.equal([1, 2, 3]);
  });

  it('never grows a segment past the cap, and leaves full segments alone', () => {
    const segments = [
      { id: 1, live: 262_144 },
      { id: 2, live: 250_000 },
      { id: 3, live: 20_000 },
      { id: 4, live: 20_000 },
      { id: 5, live: 20_000 },
      { id: 6, live: 5_000 },
    ];
    // The smaller ones reach a quarter of 250k, but only the 5k one still fits under the cap.
    expect(pickSources(segments, 4, 262_144)).to.deep.equal([2, 6]);
    // Then 250k + 5k takes nothing more; the 20k ones merge among themselves.
    expect(
      pickSources([segments[0]!, { id: 7, live: 255_000 }, ...segments.slice(2, 5)], 4, 262_144),
    ).to.deep.equal([3, 4, 5]);
    expect(pickSources(segments.slice(0, 2), 4, 262_144)).to.equal(undefined);
  });

  it('keeps a 1M ingest to a handful of segments near the cap, with fewer insertions', () => {
    const capped = ingest(1_000_000, 262_144);
    const uncapped = ingest(1_000_000, Infinity);
    expect(Math.max(...capped.sizes)).to.be.at.most(262_144);
    expect(capped.sizes.length).to.be.at.most(6);
    expect(capped.sizes.reduce((a, b) => a + b, 0)).to.equal(1_000_000);
    expect(uncapped.sizes[0]).to.be.greaterThan(900_000);
    expect(capped.inserted).to.be.lessThan(uncapped.inserted);
  });
});
