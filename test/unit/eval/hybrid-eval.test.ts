import { expect } from 'chai';
import { parseLabelledQueries, runHybridEval } from '../../../src/eval/hybrid-eval.ts';

describe('eval/hybrid-eval', () => {
  const queries = parseLabelledQueries(
    [
      '{"query":"cat","relevant":["a.jpg"],"subset":"pixels","lang":"en"}',
      '{"query":"奶奶","relevant":["b.jpg"],"subset":"words","lang":"zh"}',
      '',
      '{"query":"dog","relevant":["c.jpg"],"subset":"both","lang":"en"}',
    ].join('\n'),
  );

  it('R@1 and R@5 per subset and language, in percent', async () => {
    const ranks: Record<string, string[]> = {
      cat: ['a.jpg'],
      奶奶: ['x', 'y', 'b.jpg'],
      dog: ['x', 'y', 'z', 'w', 'v', 'c.jpg'],
    };
    const report = await runHybridEval(queries, (q) => Promise.resolve(ranks[q]!));
    expect(report.all).to.deep.equal({ n: 3, r1: 33.3, r5: 66.7 });
    expect(report.subsets.pixels).to.deep.equal({ n: 1, r1: 100, r5: 100 });
    expect(report.subsets.words).to.deep.equal({ n: 1, r1: 0, r5: 100 });
    expect(report.subsets.both).to.deep.equal({ n: 1, r1: 0, r5: 0 });
    expect(report.langs.zh).to.deep.equal({ n: 1, r1: 0, r5: 100 });
  });

  it('refuses rows without a subset label', () => {
    expect(() => parseLabelledQueries('{"query":"x","relevant":[]}')).to.throw(/subset/);
  });
});
