import { expect } from 'chai';
import { planTextRuns } from '../../../src/encoders/text-runs.ts';

/** Padded tokens plus run overhead, the quantity the planner minimises. */
const cost = (lengths: readonly number[], runs: number[][], runCost: number) =>
  runs.reduce((sum, run) => sum + runCost + run.length * Math.max(...run.map((i) => lengths[i]!)), 0);

describe('planTextRuns', () => {
  it('uses every index exactly once and keeps runs within maxRun', () => {
    const lengths = Array.from({ length: 100 }, (_, i) => 3 + ((i * 37) % 29));
    const runs = planTextRuns(lengths, 16);
    expect(runs.flat().sort((a, b) => a - b)).to.deep.equal(lengths.map((_, i) => i));
    for (const run of runs) expect(run.length).to.be.within(1, 16);
  });

  it('keeps equal lengths in as few runs as maxRun allows, in their order', () => {
    expect(planTextRuns([7, 7, 7, 7, 7], 2)).to.deep.equal([[0, 1], [2, 3], [4]]);
  });

  it('gives one long text its own run instead of padding the short ones to it', () => {
    const lengths = [5, 5, 30, 5, 5, 5, 5, 5, 5, 5];
    const runs = planTextRuns(lengths, 64, 16);
    expect(runs).to.have.length(2);
    expect(runs[1]).to.deep.equal([2]);
    expect(cost(lengths, runs, 16)).to.be.below(cost(lengths, [lengths.map((_, i) => i)], 16));
  });

  it('keeps mixed lengths together when another run would cost more than the padding', () => {
    expect(planTextRuns([6, 7, 8], 64, 16)).to.deep.equal([[0, 1, 2]]);
  });

  it('is no worse than any contiguous split of the sorted lengths (brute force on small cases)', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let trial = 0; trial < 50; trial++) {
      const lengths = Array.from({ length: 1 + Math.floor(rnd() * 9) }, () => 2 + Math.floor(rnd() * 40));
      const maxRun = 1 + Math.floor(rnd() * 5);
      const sorted = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
      let bestBrute = Infinity;
      for (let mask = 0; mask < 1 << (sorted.length - 1); mask++) {
        const runs: number[][] = [[sorted[0]!]];
        for (let k = 1; k < sorted.length; k++) {
          if (mask & (1 << (k - 1))) runs.push([sorted[k]!]);
          else runs.at(-1)!.push(sorted[k]!);
        }
        if (runs.every((r) => r.length <= maxRun)) bestBrute = Math.min(bestBrute, cost(lengths, runs, 16));
      }
      expect(cost(lengths, planTextRuns(lengths, maxRun, 16), 16)).to.equal(bestBrute);
    }
  });

  it('plans nothing for no texts', () => {
    expect(planTextRuns([], 64)).to.deep.equal([]);
  });
});
