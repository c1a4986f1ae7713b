import { expect } from 'chai';
import { classify, softmax } from '../../../src/search/classify.ts';
import type { TextEncoder } from '../../../src/encoders/encoder.ts';
import { l2Normalize } from '../../../src/vector/vector-math.ts';
import { isEngineError } from '../../../src/errors.ts';

// A fake text tower that maps known prompts to fixed directions.
const DIRS: Record<string, number[]> = {
  cat: [1, 0, 0],
  dog: [0, 1, 0],
  car: [0, 0, 1],
  'a photo of cat': [0.9, 0.1, 0],
};
const text: TextEncoder = {
  dim: 3,
  modelId: 'fake',
  contextLength: 77,
  encodeBatch: (texts) =>
    Promise.resolve(texts.map((t) => l2Normalize(Float32Array.from(DIRS[t] ?? [1, 1, 1])))),
  encodeOne: (t) => Promise.resolve(l2Normalize(Float32Array.from(DIRS[t] ?? [1, 1, 1]))),
};

describe('classify', () => {
  it('softmax is stable for large logits and sums to 1', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-12);
    expect(p[1]).to.be.greaterThan(p[0]!);
  });

  it('ranks the label closest to the image first, probabilities summing to 1', async () => {
    const image = l2Normalize(Float32Array.of(0.2, 1, 0.1));
    const out = await classify(image, ['cat', 'dog', 'car'], text);
    expect(out[0]!.label).to.equal('dog');
    expect(out.reduce((a, s) => a + s.probability, 0)).to.be.closeTo(1, 1e-9);
    expect(out[0]!.score).to.be.closeTo(1 / Math.hypot(0.2, 1, 0.1), 1e-6);
  });

  it('a larger logit scale sharpens the distribution', async () => {
    const image = l2Normalize(Float32Array.of(0.6, 0.5, 0));
    const soft = await classify(image, ['cat', 'dog'], text, { logitScale: 1 });
    const sharp = await classify(image, ['cat', 'dog'], text, { logitScale: 100 });
    expect(sharp[0]!.probability).to.be.greaterThan(soft[0]!.probability);
  });

  it('fills the template with each label', async () => {
    const image = l2Normalize(Float32Array.of(0.9, 0.1, 0));
    const out = await classify(image, ['cat'], text, { template: 'a photo of {}' });
    expect(out[0]!.score).to.be.closeTo(1, 1e-6);
  });

  for (const [name, labels, options] of [
    ['no labels', [], {}],
    ['an empty label', ['cat', ' '], {}],
    ['duplicate labels', ['cat', 'cat'], {}],
    ['a template without {}', ['cat'], { template: 'a photo' }],
    ['a non-positive logit scale', ['cat'], { logitScale: 0 }],
  ] as const) {
    it(`refuses ${name} with INVALID_INPUT`, async () => {
      const error = await classify(Float32Array.of(1, 0, 0), labels, text, options).catch((e: unknown) => e);
      expect(isEngineError(error, 'INVALID_INPUT')).to.equal(true);
    });
  }

  it('refuses a vector of the wrong dimension', async () => {
    const error = await classify(Float32Array.of(1, 0), ['cat'], text).catch((e: unknown) => e);
    expect(isEngineError(error, 'DIMENSION_MISMATCH')).to.equal(true);
  });
});
