import { expect } from 'chai';
import { float16ToFloat32, float32ToFloat16 } from '../../../src/encoders/float16.ts';

describe('float16 conversion', () => {
  it('encodes known values to their IEEE half bit patterns', () => {
    const bits = float32ToFloat16(
      Float32Array.from([0, -0, 1, -2, 65504, 1e6, 0.5, 5.960464477539063e-8, Infinity, -Infinity]),
    );
    expect(Array.from(bits)).to.deep.equal([
      0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x7c00, 0x3800, 0x0001, 0x7c00, 0xfc00,
    ]);
    expect(float32ToFloat16(Float32Array.from([NaN]))[0]! & 0x7c00).to.equal(0x7c00);
  });

  it('rounds to nearest even and round-trips within half precision', () => {
    // 1 + 2^-11 is exactly between two halves → ties to even (1.0); 1 + 3·2^-11 → up.
    expect(Array.from(float32ToFloat16(Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11])))).to.deep.equal([
      0x3c00, 0x3c02,
    ]);
    const values = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i) * 10 ** ((i % 9) - 4));
    const back = float16ToFloat32(float32ToFloat16(values));
    values.forEach((v, i) => expect(back[i]).to.be.closeTo(v, Math.max(Math.abs(v) * 2 ** -10, 2 ** -24)));
  });

  it('decodes subnormals, infinities and NaN', () => {
    const out = float16ToFloat32(Uint16Array.from([0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00]));
    expect(out[0]).to.equal(2 ** -24);
    expect(out[1]).to.be.closeTo(6.097555e-5, 1e-10);
    expect([out[2], out[3]]).to.deep.equal([Infinity, -Infinity]);
    expect(Number.isNaN(out[4])).to.equal(true);
  });
});
