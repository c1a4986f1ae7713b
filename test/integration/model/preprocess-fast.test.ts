import { expect } from 'chai';
import { SharpImagePreprocessor } from '../../../src/image/image-preprocessor.ts';
import { decodeImage, resizeRgbCubic } from '../../../src/image/sharp-decoder.ts';
import { bundledModelDir } from '../../../src/model/bundled-model.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { cosine } from '../../../src/vector/vector-math.ts';
import {
  goldenCases as cases,
  goldenTensor as golden,
  imageBytes,
  maxAbsDiff,
  specFor,
  type GoldenCase,
} from './golden-cases.ts';

// The default 'fast' preprocessing (libvips cubic inside the decode for big reductions) against
// the PIL goldens: bit-exact wherever it takes the Pillow port (small images, upscales), and for
// the 4000-px photo close enough that the embedding does not move (bench/preprocess-fidelity.ts
// measures the same on 3–12 MP photos).
const BIG = 'photo-4000.jpg';
const fast = async (c: GoldenCase): Promise<Float32Array> =>
  (await new SharpImagePreprocessor(specFor(c)).preprocess(imageBytes(c))).pixels;

describe("image preprocessing: default 'fast' fidelity", () => {
  it("is the default, and 'exact' can be asked for", () => {
    const spec = specFor(cases[0]!);
    expect(new SharpImagePreprocessor(spec).fidelity).to.equal('fast');
    expect(new SharpImagePreprocessor(spec, { fidelity: 'exact' }).fidelity).to.equal('exact');
  });

  for (const c of cases.filter((k) => k.image !== BIG)) {
    it(`${c.image} ${c.mode} ${c.size}: small image, bit-exact with PIL`, async () => {
      const ours = await fast(c);
      const ref = golden(c);
      expect(maxAbsDiff(ref, ours)).to.be.below(1e-5);
    });
  }

  for (const c of cases.filter((k) => k.image === BIG)) {
    it(`${BIG} ${c.mode} ${c.size}: big reduction (libvips cubic): pixel cosine ≥ 0.999 to PIL, not bit-exact`, async () => {
      const ours = await fast(c);
      const ref = golden(c);
      expect(cosine(ours, ref)).to.be.at.least(0.999);
      // Proves the fast path ran (the 'exact' goldens test is bit-exact on this case).
      expect(maxAbsDiff(ref, ours)).to.be.above(1e-3);
    });
  }

  it(`${BIG} at 64 px: bundled model embeddings of fast vs PIL tensors have cosine ≥ 0.999`, async () => {
    const model = await loadModel(bundledModelDir(), { device: 'cpu', threads: 1 });
    try {
      expect(model.preprocessor.spec.width).to.equal(64);
      const small = cases.filter((k) => k.image === BIG && k.size === 64);
      expect(small).to.have.length.at.least(2);
      for (const c of small) {
        const [a, b] = await model.image.encodeBatch([await fast(c), golden(c)]);
        expect(cosine(a!, b!), `${c.mode}`).to.be.at.least(0.999);
      }
    } finally {
      await model.close();
    }
  });

  it('resampling inside the decode gives the same bytes as decoding in full, then resizing', async () => {
    const bytes = imageBytes(cases.find((k) => k.image === BIG)!);
    const inside = await decodeImage(bytes, { cubicResize: () => ({ width: 335, height: 224 }) });
    expect([inside.width, inside.height, inside.sourceWidth, inside.sourceHeight]).to.deep.equal([
      335, 224, 4000, 2667,
    ]);
    const after = await resizeRgbCubic(await decodeImage(bytes), 335, 224);
    expect(Buffer.from(inside.data).equals(Buffer.from(after.data))).to.equal(true);
  });
});
