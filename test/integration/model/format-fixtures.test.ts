import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { LoadedClipModel } from '../../../src/model/clip-model.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { expectedImage, expectedText, fixtureIds, maxAbsDiff, randomTensor } from './format-fixture-math.ts';

const FORMATS = fileURLToPath(new URL('../../../fixtures/models/formats/', import.meta.url));

interface Layout {
  readonly dir: string;
  readonly layout: string;
  readonly dim: number;
  readonly context: number;
  readonly tokenizer: string;
  readonly textInputs: readonly string[];
  readonly idsType: string;
  readonly fixedBatch: number | null;
  readonly size: number;
  readonly output: string;
}

const LAYOUTS: readonly Layout[] = [
  {
    dir: 'huggingface',
    layout: 'huggingface',
    dim: 8,
    context: 16,
    tokenizer: 'tokenizer.json',
    textInputs: ['input_ids'],
    idsType: 'int64',
    fixedBatch: null,
    size: 32,
    output: 'text_embeds',
  },
  {
    dir: 'openclip',
    layout: 'openclip',
    dim: 12,
    context: 77,
    tokenizer: 'textual/tokenizer.json',
    textInputs: ['text'],
    idsType: 'int32',
    fixedBatch: 1,
    size: 40,
    output: 'embedding',
  },
  {
    dir: 'clip-as-service',
    layout: 'clip-as-service',
    dim: 6,
    context: 77,
    tokenizer: 'tokenizer.json',
    textInputs: ['input_ids', 'attention_mask'],
    idsType: 'int32',
    fixedBatch: null,
    size: 24,
    output: '1407',
  },
  {
    dir: 'chinese-clip-like',
    layout: 'openclip',
    dim: 10,
    context: 52,
    tokenizer: 'textual/tokenizer.json',
    textInputs: ['text'],
    idsType: 'int64',
    fixedBatch: 1,
    size: 28,
    output: 'unnorm_text_features',
  },
];

const TEXTS = ['a photo of the cat', 'two small dogs on the beach .', 'red car', 'A BLUE house, in snow', ''];
const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

for (const spec of LAYOUTS) {
  describe(`format fixture: ${spec.dir}`, () => {
    let model: LoadedClipModel;
    const dir = path.join(FORMATS, spec.dir);

    before(async () => {
      model = await loadModel(dir, { device: 'cpu', threads: 1 });
    });
    after(async () => {
      await model.close();
    });

    it('detects the layout and reads dim, context length, dtypes and batch shape from the graph', () => {
      expect(model.details.layout).to.equal(spec.layout);
      expect(model.fingerprint.layout).to.equal(spec.layout);
      expect(model.text.dim).to.equal(spec.dim);
      expect(model.image.dim).to.equal(spec.dim);
      expect(model.text.contextLength).to.equal(spec.context);
      expect(model.details.text.uses.inputs).to.deep.equal(spec.textInputs);
      expect(model.details.text.inputs[0]!.type).to.equal(spec.idsType);
      expect(model.details.text.uses.output).to.equal(spec.output);
      expect(model.details.text.fixedBatch).to.equal(spec.fixedBatch);
      // Only the HF fixture has a dynamic sequence axis and a graph that ignores padding.
      expect(model.details.trimPadding).to.equal(spec.dir === 'huggingface');
      expect(model.preprocessor.spec.width).to.equal(spec.size);
      expect(model.executionProvider).to.equal('cpu');
    });

    it('text embeddings equal the known-weight outputs and are L2-normalised', async () => {
      const vectors = await model.text.encodeBatch(TEXTS);
      expect(vectors).to.have.length(TEXTS.length);
      TEXTS.forEach((text, i) => {
        const expected = expectedText(fixtureIds(path.join(dir, spec.tokenizer), text), spec.dim);
        expect(maxAbsDiff(vectors[i]!, expected), text).to.be.below(1e-4);
        expect(norm(vectors[i]!)).to.be.closeTo(1, 1e-5);
      });
      // Different texts must give different vectors (guards against a constant graph).
      expect(maxAbsDiff(vectors[0]!, vectors[1]!)).to.be.above(0.05);
    });

    it('text: batch equals item by item', async () => {
      const batch = await model.text.encodeBatch(TEXTS);
      for (const [i, text] of TEXTS.entries()) {
        expect(maxAbsDiff(batch[i]!, await model.text.encodeOne(text))).to.be.below(1e-6);
      }
    });

    it('image embeddings equal the known-weight outputs, normalised, batch = item by item', async () => {
      const tensors = [1, 2, 3].map((seed) => randomTensor(spec.size, seed));
      const batch = await model.image.encodeBatch(tensors);
      for (const [i, t] of tensors.entries()) {
        expect(maxAbsDiff(batch[i]!, expectedImage(t, spec.dim))).to.be.below(1e-4);
        expect(norm(batch[i]!)).to.be.closeTo(1, 1e-5);
        expect(maxAbsDiff(batch[i]!, await model.image.encodeOne(t))).to.be.below(1e-6);
      }
      expect(await model.image.encodeBatch([])).to.deep.equal([]);
    });

    it('rejects tensors of the wrong size with INVALID_INPUT', async () => {
      const error = await model.image.encodeOne(new Float32Array(10)).catch((e: unknown) => e);
      expect(error).to.have.property('code', 'INVALID_INPUT');
    });
  });
}

describe('format fixture: huggingface variants and truncation', () => {
  const dir = path.join(FORMATS, 'huggingface');

  it('loads the _quantized variant on request and its outputs follow the quantized weights', async () => {
    const model = await loadModel(dir, { device: 'cpu', threads: 1, variant: 'quantized' });
    try {
      expect(model.details.variant).to.equal('quantized');
      expect(model.details.text.file).to.equal(path.join('onnx', 'text_model_quantized.onnx'));
      const [v] = await model.text.encodeBatch(['a photo of the cat']);
      const ids = fixtureIds(path.join(dir, 'tokenizer.json'), 'a photo of the cat');
      expect(maxAbsDiff(v!, expectedText(ids, 8, true))).to.be.below(1e-4);
      expect(maxAbsDiff(v!, expectedText(ids, 8, false))).to.be.above(1e-3);
      const t = randomTensor(32, 9);
      expect(maxAbsDiff(await model.image.encodeOne(t), expectedImage(t, 8, true))).to.be.below(1e-4);
    } finally {
      await model.close();
    }
  });

  it('converts float16 graph I/O both ways for the _fp16 variant', async () => {
    const model = await loadModel(dir, { device: 'cpu', threads: 1, variant: 'fp16' });
    try {
      expect(model.details.vision.inputs[0]!.type).to.equal('float16');
      expect(model.details.text.outputs[0]!.type).to.equal('float16');
      const [v] = await model.text.encodeBatch(['a photo of the cat']);
      expect(v).to.be.instanceOf(Float32Array);
      expect(
        maxAbsDiff(v!, expectedText(fixtureIds(path.join(dir, 'tokenizer.json'), 'a photo of the cat'), 8)),
      ).to.be.below(2e-3);
      const t = randomTensor(32, 4);
      expect(maxAbsDiff(await model.image.encodeOne(t), expectedImage(t, 8))).to.be.below(5e-3);
    } finally {
      await model.close();
    }
  });

  it('gives the quantized variant a different fingerprint id than fp32', async () => {
    const a = await loadModel(dir, { device: 'cpu', threads: 1 });
    const b = await loadModel(dir, { device: 'cpu', threads: 1, variant: 'quantized' });
    expect(a.fingerprint.id).to.not.equal(b.fingerprint.id);
    await Promise.all([a.close(), b.close()]);
  });

  it('truncates past the 16-token context keeping the end token', async () => {
    const model = await loadModel(dir, { device: 'cpu', threads: 1 });
    try {
      const words = Array.from({ length: 30 }, (_, i) => ['red', 'blue', 'green', 'cat', 'dog'][i % 5]!);
      const ids = fixtureIds(path.join(dir, 'tokenizer.json'), words.join(' '));
      const kept = [...ids.slice(0, 15), ids[ids.length - 1]!];
      const [v] = await model.text.encodeBatch([words.join(' ')]);
      expect(maxAbsDiff(v!, expectedText(kept, 8))).to.be.below(1e-4);
      expect(model.text.tokenize(words.join(' '))).to.deep.equal(kept);
    } finally {
      await model.close();
    }
  });
});
