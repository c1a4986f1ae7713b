import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { PreprocessSpec } from '../../../src/encoders/encoder.ts';
import { SharpImagePreprocessor } from '../../../src/image/image-preprocessor.ts';
import { toChwTensor } from '../../../src/image/preprocess.ts';
import { CLIP_MEAN, CLIP_STD } from '../../../src/model/package-config.ts';
import { cosine } from '../../../src/vector/vector-math.ts';
import { FIXTURES } from './model-test-dirs.ts';

const IMAGES = path.join(FIXTURES, 'images');
const GOLDEN = path.join(IMAGES, 'golden');
interface GoldenCase {
  readonly image: string;
  readonly mode: 'shortest' | 'squash';
  readonly size: number;
  readonly file: string;
  readonly source_size: [number, number];
}
const index = JSON.parse(readFileSync(path.join(GOLDEN, 'index.json'), 'utf8')) as { cases: GoldenCase[] };

// The reference path: full decode + the Pillow port. The default 'fast' mode (JPEG shrink-on-load,
// libvips cubic for big reductions) is held to embedding-level fidelity in preprocess-fast.test.ts.
describe("image preprocessing ('exact') matches PIL bicubic goldens (fixtures/images/golden)", () => {
  it('has goldens for every hard case at 224 and 64', () => {
    expect(index.cases.length).to.be.at.least(21);
  });

  for (const c of index.cases) {
    it(`${c.image} ${c.mode} ${c.size}: cosine ≥ 0.9999 to PIL`, async () => {
      const spec: PreprocessSpec = {
        width: c.size,
        height: c.size,
        resizeMode: c.mode,
        mean: CLIP_MEAN,
        std: CLIP_STD,
        interpolation: 'bicubic',
        rescaleFactor: 1 / 255,
      };
      const bytes = readFileSync(path.join(IMAGES, c.image));
      const ours = await new SharpImagePreprocessor(spec, { fidelity: 'exact' }).preprocess(bytes);
      expect([ours.width, ours.height]).to.deep.equal(c.source_size);
      const raw = new Uint8Array(gunzipSync(readFileSync(path.join(GOLDEN, c.file))));
      const golden = toChwTensor({ data: raw, width: c.size, height: c.size }, spec);
      expect(ours.pixels).to.have.length(golden.length);
      expect(cosine(ours.pixels, golden)).to.be.at.least(0.9999);
      // A full decode makes every case bit-exact.
      const worst = golden.reduce((m, v, i) => Math.max(m, Math.abs(v - ours.pixels[i]!)), 0);
      expect(worst).to.be.below(1e-5);
    });
  }
});
