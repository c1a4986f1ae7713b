// Trimmed padding must not move an embedding: the bundled model (real ONNX Runtime) encodes every
// text once padded to its full sequence length (as clipdex did before) and once cut to the longest
// text of each run, alone and in mixed-length batches split by planTextRuns.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { LoadedClipModel } from '../../../src/model/clip-model.ts';
import { bundledModelDir } from '../../../src/model/bundled-model.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { cosine } from '../../../src/vector/vector-math.ts';
import { FIXTURES } from './model-test-dirs.ts';

describe('text padding trimmed to the run (bundled model)', () => {
  let trimmed: LoadedClipModel;
  let padded: LoadedClipModel;
  let texts: string[];

  before(async () => {
    trimmed = await loadModel(bundledModelDir(), { device: 'cpu', threads: 1, itm: false });
    padded = await loadModel(bundledModelDir(), {
      device: 'cpu',
      threads: 1,
      itm: false,
      textPadding: 'full',
    });
    const reference = JSON.parse(
      await readFile(path.join(FIXTURES, 'tokenizers/clip/reference-ids.json'), 'utf8'),
    ) as { cases: { text: string }[]; extra?: { text: string }[] };
    const long = Array.from({ length: 90 }, (_, i) => `word${i}`).join(' ');
    texts = [
      ...reference.cases.map((c) => c.text),
      ...(reference.extra ?? []).map((c) => c.text),
      '一只猫坐在草地上',
      '嘿嘿',
      '東京の夜景と赤い傘',
      '고양이 사진',
      long,
      `a photo of ${'a very very '.repeat(40)}small cat`,
      '',
    ];
  });
  after(async () => {
    await trimmed?.close();
    await padded?.close();
  });

  it('is chosen by the load-time probe, and "full" turns it off', () => {
    expect(trimmed.details.trimPadding).to.equal(true);
    expect(padded.details.trimPadding).to.equal(false);
    const long = texts.at(-3)!;
    expect(trimmed.text.tokenize(long).length).to.equal(trimmed.details.paddedLength);
  });

  it('gives the padded embedding (cosine ≥ 0.99999) for reference, CJK and truncated long texts', async () => {
    for (const text of texts) {
      const [a, b] = await Promise.all([trimmed.text.encodeOne(text), padded.text.encodeOne(text)]);
      expect(cosine(a, b), JSON.stringify(text)).to.be.at.least(0.99999);
    }
  });

  it('keeps order and values in mixed-length batches', async () => {
    const batch = [...texts, ...texts.slice().reverse()];
    const [a, b] = await Promise.all([trimmed.text.encodeBatch(batch), padded.text.encodeBatch(batch)]);
    expect(a).to.have.length(batch.length);
    batch.forEach((text, i) => expect(cosine(a[i]!, b[i]!), JSON.stringify(text)).to.be.at.least(0.99999));
  });
});
