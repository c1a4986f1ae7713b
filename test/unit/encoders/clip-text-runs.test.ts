// ClipTextEncoder's run planning against a fake graph (unit tier: no ONNX Runtime here; the real
// bundled model is checked in test/integration/model/text-padding.test.ts). The fake encodes each
// row as [real tokens, first id, run length] so order and padding are visible in the output.
import { expect } from 'chai';
import { ClipTextEncoder, type TextGraphPlan } from '../../../src/encoders/clip-text.encoder.ts';
import type { FeedTensor, OnnxSession, OutputTensor } from '../../../src/encoders/onnx-session.ts';
import { ClipTokenizer, readTokenizerFiles } from '../../../src/encoders/tokenizer.ts';

const TOKENIZER_DIR = new URL('../../../src/model/assets/clip-bpe/', import.meta.url).pathname;

function fakeSession(runs: { ids: number[][]; mask: number[][] }[]): OnnxSession {
  const rows = (feed: FeedTensor): number[][] => {
    const [n, len] = feed.dims as [number, number];
    const data = Array.from(feed.data, Number);
    return Array.from({ length: n }, (_, r) => data.slice(r * len, (r + 1) * len));
  };
  const fake = {
    file: 'fake.onnx',
    run(feeds: Readonly<Record<string, FeedTensor>>): Promise<Map<string, OutputTensor>> {
      const ids = rows(feeds['input_ids']!);
      const mask = rows(feeds['attention_mask']!);
      runs.push({ ids, mask });
      const data = Float32Array.from(
        ids.flatMap((row, r) => [mask[r]!.reduce((a, b) => a + b, 0), row[1]!, row.length]),
      );
      return Promise.resolve(new Map([['text_embeds', { data, dims: [ids.length, 3] }]]));
    },
  };
  return fake as unknown as OnnxSession;
}

const plan: TextGraphPlan = {
  ids: { name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] },
  mask: { name: 'attention_mask', type: 'int64', shape: ['batch', 'sequence'] },
  tokenTypes: undefined,
  output: { name: 'text_embeds', type: 'float32', shape: ['batch', 3] },
  fixedBatch: undefined,
  fixedSequence: undefined,
};

describe('ClipTextEncoder runs (fake graph with an attention mask)', () => {
  let tokenizer: ClipTokenizer;
  before(async () => {
    tokenizer = new ClipTokenizer(await readTokenizerFiles(TOKENIZER_DIR), { contextLength: 77 });
  });

  const texts = [
    'a cat',
    'a photo of a small dog playing in the snow with a red ball near a wooden fence',
    'a dog',
    'red car',
    'the quick brown fox jumps over the lazy dog again and again until the sun goes down',
    'sky',
  ];

  it('cuts each run to its longest text, mask with it, and returns rows in input order', async () => {
    const runs: { ids: number[][]; mask: number[][] }[] = [];
    const encoder = new ClipTextEncoder(fakeSession(runs), plan, tokenizer, 3, 'fake', true);
    const out = await encoder.encodeBatch(texts);
    expect(runs.length).to.be.greaterThan(1);
    for (const run of runs) {
      const longest = Math.max(...run.mask.map((m) => m.reduce((a, b) => a + b, 0)));
      for (const [r, ids] of run.ids.entries()) {
        expect(ids).to.have.length(longest);
        expect(run.mask[r]).to.have.length(longest);
      }
    }
    texts.forEach((text, i) => {
      const want = tokenizer.encode(text);
      const real = want.attentionMask.reduce((a, b) => a + b, 0);
      // Rows are L2-normalised: compare directions of [real tokens, first id, run length].
      const row = out[i]!;
      expect(row[0]! / row[1]!, text).to.be.closeTo(real / want.ids[1]!, 1e-6);
      expect(encoder.tokenCount(text)).to.equal(real);
    });
  });

  it('pads every run to the full length, in input order, when padding is not inert', async () => {
    const runs: { ids: number[][]; mask: number[][] }[] = [];
    const encoder = new ClipTextEncoder(fakeSession(runs), plan, tokenizer, 3, 'fake', false);
    await encoder.encodeBatch(texts);
    expect(runs).to.have.length(1);
    expect(runs[0]!.ids.map((r) => r.length)).to.deep.equal(texts.map(() => 77));
    expect(runs[0]!.ids.map((r) => r[1])).to.deep.equal(texts.map((t) => tokenizer.encode(t).ids[1]));
  });
});
