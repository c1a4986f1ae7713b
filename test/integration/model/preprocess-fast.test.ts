import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { PreprocessSpec } from '../../../src/encoders/encoder.ts';
import { SharpImagePreprocessor } from '../../../src/image/image-preprocessor.ts';
import { toChwTensor } from '../../../src/image/preprocess.ts';
import { decodeImage, resizeRgbCubic } from '../../../src/image/sharp-decoder.ts';
import { bundledModelDir } from '../../../src/model/bundled-model.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { CLIP_MEAN, CLIP_STD } from '../../../src/model/package-config.ts';
import { cosine } from '../../../src/vector/vector-math.ts';
import { FIXTURES } from './model-test-dirs.ts';

// The default 'fast' preprocessing (libvips cubic inside the decode for big reductions) against
// the PIL goldens: bit-exact wherever it takes the Pillow port (small images, upscales), and for
// the 4000-px photo close enough that the embedding does not move (bench/preprocess-fidelity.ts
// measures the same on 3–12 MP photos).
const IMAGES = path.join(FIXTURES, 'images');
const GOLDEN = path.join(IMAGES, 'golden');
interface GoldenCase {
  readonly image: string;
  readonly mode: 'shortest' | 'squash';
  readonly size: number;
  readonly file: string;
}
const cases = (JSON.parse(readFileSync(path.join(GOLDEN, 'index.json'), 'utf8')) as { cases: GoldenCase[] }).cases;
const BIG = 'photo-4000.jpg';

const specFor = (c: GoldenCase): PreprocessSpec => ({
  width: c.size,
  height: c.size,
  resizeMode: c.mode,
  mean: CLIP_MEAN,
  std: CLIP_STD,
  interpolation: 'bicubic',
  rescaleFactor: 1 / 255,
});
const golden = (c: GoldenCase): Float32Array =>
  toChwTensor({ data: new Uint8Array(gunzipSync(readFileSync(path.join(GOLDEN, c.file)))), width: c.size, height: c.size }, specFor(c));
const fast = async (c: GoldenCase): Promise<Float32Array> =>
  (await new SharpImagePreprocessor(specFor(c)).preprocess(readFileSync(path.join(IMAGES, c.image)))).pixels;

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
      expect(ref.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i]!)), 0)).to.be.below(1e-5);
    });
  }

  for (const c of cases.filter((k) => k.image === BIG)) {
    it(`${BIG} ${c.mode} ${c.size}: big reduction (libvips cubic): pixel cosine ≥ 0.999 to PIL, not bit-exact`, async () => {
      const ours = await fast(c);
      const ref = golden(c);
      expect(cosine(ours, ref)).to.be.at.least(0.999);
      // Proves the fast path ran (the 'exact' goldens test is bit-exact on this case).
      expect(ref.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i]!)), 0)).to.be.above(1e-3);
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
    const bytes = readFileSync(path.join(IMAGES, BIG));
    const inside = await decodeImage(bytes, { cubicResize: () => ({ width: 335, height: 224 }) });
    expect([inside.width, inside.height, inside.sourceWidth, inside.sourceHeight]).to.deep.equal([335, 224, 4000, 2667]);
    const after = await resizeRgbCubic(await decodeImage(bytes), 335, 224);
    expect(Buffer.from(inside.data).equals(Buffer.from(after.data))).to.equal(true);
  });
});
