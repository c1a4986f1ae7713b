import { expect } from 'chai';
import { cmykToRgb, compositeOverWhite } from '../../../src/image/pixel-convert.ts';

describe('Pillow pixel conversions', () => {
  it('composites RGBA over white like Image.alpha_composite (values from Pillow 9.4)', () => {
    // opaque, fully transparent, half, quarter alpha
    const rgba = Uint8Array.from([10, 20, 30, 255, 10, 20, 30, 0, 100, 150, 200, 128, 0, 0, 0, 64]);
    expect(Array.from(compositeOverWhite(rgba, 4))).to.deep.equal([
      10, 20, 30, 255, 255, 255, 177, 202, 227, 191, 191, 191,
    ]);
  });

  it('converts CMYK like convert("RGB"): (255 − C)(255 − K) / 255', () => {
    const cmyk = Uint8Array.from([0, 0, 0, 0, 255, 255, 255, 0, 224, 36, 55, 0, 100, 50, 0, 128]);
    expect(Array.from(cmykToRgb(cmyk, 4))).to.deep.equal([
      255, 255, 255, 0, 0, 0, 31, 219, 200, 77, 102, 127,
    ]);
  });
});
