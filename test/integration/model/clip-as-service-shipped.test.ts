// A clip-as-service package as it really ships (textual.onnx + visual.onnx, no tokenizer) loads with
// clipdex's built-in OpenAI CLIP BPE tokenizer and scores exactly against the fixture's known weights,
// with token ids taken from transformers.js's CLIP tokenizer tests; multilingual (M-CLIP) packages are
// refused with the file to add.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describeModel, formatModelDescription } from '../../../src/model/describe-model.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { expectedImage, expectedText, maxAbsDiff, randomTensor } from './format-fixture-math.ts';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const SHIPPED = path.join(FIXTURES, 'models/formats/clip-as-service-shipped');

interface Case {
  readonly text: string;
  readonly ids: readonly number[];
}

describe('clip-as-service package as shipped (no tokenizer)', () => {
  it('loads with the built-in CLIP BPE, zero padding, context 77, and says so in model info', async () => {
    const model = await loadModel(SHIPPED, { device: 'cpu', threads: 1 });
    try {
      expect(model.details.layout).to.equal('clip-as-service');
      expect(model.details.tokenizer).to.equal('builtin-clip-bpe');
      expect(model.details.contextLength).to.equal(77);
      expect(model.details.padId).to.equal(0);
      expect(Object.keys(model.fingerprint.files)).to.include('clipdex-builtin/clip-bpe/tokenizer.json');
      const info = formatModelDescription(describeModel(model)).join('\n');
      expect(info).to.match(/tokenizer\s+built-in OpenAI CLIP BPE/);
    } finally {
      await model.close();
    }
  });

  it('text embeddings follow the known weights for the reference CLIP token ids; images too', async () => {
    const reference = JSON.parse(
      await readFile(path.join(FIXTURES, 'tokenizers/clip/reference-ids.json'), 'utf8'),
    ) as { cases: Case[] };
    // Cases that fit the context (the long ones are about truncation, tested elsewhere).
    const cases = reference.cases.filter((c) => c.ids.length <= 77).slice(0, 12);
    expect(cases.length).to.be.at.least(8);
    const model = await loadModel(SHIPPED, { device: 'cpu', threads: 1 });
    try {
      const vectors = await model.text.encodeBatch(cases.map((c) => c.text));
      cases.forEach((c, i) =>
        expect(maxAbsDiff(vectors[i]!, expectedText(c.ids, 6)), c.text).to.be.below(1e-4),
      );
      const t = randomTensor(24, 7);
      expect(maxAbsDiff(await model.image.encodeOne(t), expectedImage(t, 6))).to.be.below(1e-4);
    } finally {
      await model.close();
    }
  });

  it('refuses a multilingual (M-CLIP / XLM-R) package without a tokenizer, naming the file to add', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-mclip-'));
    try {
      const dir = path.join(tmp, 'M-CLIP-XLM-Roberta-Large-Vit-B-32');
      await cp(SHIPPED, dir, { recursive: true });
      const error = await loadModel(dir, { device: 'cpu', threads: 1 }).catch((e: unknown) => e);
      expect(error).to.have.property('code', 'MODEL_LOAD_FAILED');
      expect((error as Error).message)
        .to.include(path.join(dir, 'tokenizer.json'))
        .and.match(/multilingual/);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
