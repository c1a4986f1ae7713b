import { expect } from 'chai';
import {
  hammingDistance,
  hashWords,
  perceptualHash,
  popcount32,
} from '../../../src/image/perceptual-hash.ts';
import type { RawRgb } from '../../../src/image/sharp-decoder.ts';

/** A smooth two-blob picture; `shift` moves the blobs, `gain` scales brightness. */
function picture(
  width: number,
  height: number,
  opts: { shift?: number; gain?: number; seed?: number } = {},
): RawRgb {
  const data = new Uint8Array(width * height * 3);
  const seed = opts.seed ?? 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width + (opts.shift ?? 0);
      const v = y / height;
      const a = Math.exp(-((u - 0.3) ** 2 + (v - 0.4 * seed) ** 2) * 20);
      const b = Math.exp(-((u - 0.7) ** 2 + (v - 0.7) ** 2) * 30);
      const base = (60 + 150 * a + 120 * b * (seed % 2)) * (opts.gain ?? 1);
      const p = (y * width + x) * 3;
      data[p] = Math.min(255, base);
      data[p + 1] = Math.min(255, base * 0.8);
      data[p + 2] = Math.min(255, 255 - base * 0.5);
    }
  }
  return { data, width, height };
}

describe('perceptualHash', () => {
  it('is 16 hex digits and stable', () => {
    const h = perceptualHash(picture(100, 80));
    expect(h).to.match(/^[0-9a-f]{16}$/);
    expect(perceptualHash(picture(100, 80))).to.equal(h);
  });

  it('barely moves under resizing and brightness, and differs for another picture', () => {
    const h = perceptualHash(picture(200, 160));
    expect(hammingDistance(h, perceptualHash(picture(64, 51)))).to.be.at.most(4);
    expect(hammingDistance(h, perceptualHash(picture(200, 160, { gain: 0.9 })))).to.be.at.most(4);
    expect(hammingDistance(h, perceptualHash(picture(200, 160, { seed: 2 })))).to.be.at.least(10);
  });

  it('handles images smaller than its 32×32 grid', () => {
    expect(perceptualHash(picture(5, 3))).to.match(/^[0-9a-f]{16}$/);
  });

  it('popcount over words agrees with the hex distance', () => {
    const a = perceptualHash(picture(90, 90));
    const b = perceptualHash(picture(90, 90, { seed: 3 }));
    const [a0, a1] = hashWords(a);
    const [b0, b1] = hashWords(b);
    expect(popcount32(a0 ^ b0) + popcount32(a1 ^ b1)).to.equal(hammingDistance(a, b));
    expect(popcount32(0xffffffff)).to.equal(32);
  });
});
