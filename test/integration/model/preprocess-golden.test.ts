import { expect } from 'chai';
import { SharpImagePreprocessor } from '../../../src/image/image-preprocessor.ts';
import { cosine } from '../../../src/vector/vector-math.ts';
import { goldenCases, goldenTensor, imageBytes, maxAbsDiff, specFor } from './golden-cases.ts';

// The reference path: full decode + the Pillow port. The default 'fast' mode (libvips cubic
// for big reductions) is held to embedding-level fidelity in preprocess-fast.test.ts.
describe("image preprocessing ('exact') matches PIL bicubic goldens (fixtures/images/golden)", () => {
  it('has goldens for every hard case at 224 and 64', () => {
    expect(goldenCases.length).to.be.at.least(21);
  });

  for (const c of goldenCases) {
    it(`${c.image} ${c.mode} ${c.size}: cosine ≥ 0.9999 to PIL`, async () => {
      const ours = await new SharpImagePreprocessor(specFor(c), { fidelity: 'exact' }).preprocess(
        imageBytes(c),
      );
      expect([ours.width, ours.height]).to.deep.equal(c.source_size);
      const golden = goldenTensor(c);
      expect(ours.pixels).to.have.length(golden.length);
      expect(cosine(ours.pixels, golden)).to.be.at.least(0.9999);
      // A full decode makes every case bit-exact.
      expect(maxAbsDiff(golden, ours.pixels)).to.be.below(1e-5);
    });
  }
});
