import { expect } from 'chai';
import {
  FINGERPRINT_BYTES,
  fingerprintMatch,
  paletteDistance,
  pictureFingerprint,
} from '../../../src/image/fingerprint.ts';
import type { RawRgb } from '../../../src/image/sharp-decoder.ts';

interface Blob {
  readonly x: number;
  readonly y: number;
  readonly r: number;
  readonly rgb: readonly [number, number, number];
}

/** A gradient "scene" with coloured discs, drawn at any size, window and gain. */
function scene(
  blobs: readonly Blob[],
  width: number,
  height: number,
  window = { left: 0, top: 0, width: 1, height: 1 },
  gain = 1,
): RawRgb {
  const data = new Uint8Array(width * height * 3);
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const x = window.left + (window.width * (px + 0.5)) / width;
      const y = window.top + (window.height * (py + 0.5)) / height;
      let rgb: readonly [number, number, number] = [40 + 150 * x, 60 + 100 * y, 200 - 120 * x];
      for (const b of blobs) if ((x - b.x) ** 2 + ((y - b.y) * 0.75) ** 2 < b.r ** 2) rgb = b.rgb;
      const p = (py * width + px) * 3;
      for (let c = 0; c < 3; c++) data[p + c] = Math.max(0, Math.min(255, Math.round(rgb[c]! * gain)));
    }
  }
  return { data, width, height };
}

const BLOBS: Blob[] = [
  { x: 0.3, y: 0.3, r: 0.15, rgb: [200, 40, 90] },
  { x: 0.7, y: 0.6, r: 0.1, rgb: [30, 160, 160] },
  { x: 0.5, y: 0.8, r: 0.08, rgb: [150, 40, 160] },
];

describe('pictureFingerprint / fingerprintMatch', () => {
  const original = scene(BLOBS, 320, 240);
  const fp = pictureFingerprint(original);
  const match = (img: RawRgb): number =>
    fingerprintMatch(fp, 320 / 240, pictureFingerprint(img), img.width / img.height);

  it('is 32×32 luma plus two 16×16 chroma planes', () => {
    expect(fp.length).to.equal(FINGERPRINT_BYTES);
    expect(pictureFingerprint(scene(BLOBS, 7, 5)).length).to.equal(FINGERPRINT_BYTES);
  });

  it('matches the same picture resized, brightened and cropped', () => {
    expect(match(scene(BLOBS, 80, 60))).to.be.greaterThan(0.99);
    expect(match(scene(BLOBS, 320, 240, undefined, 0.85))).to.be.greaterThan(0.99);
    const crop = { left: 0.06, top: 0.02, width: 0.9, height: 0.9 };
    expect(match(scene(BLOBS, 288, 216, crop))).to.be.greaterThan(0.97);
  });

  it('tells another shot of the scene (shapes moved) and a recoloured drawing apart', () => {
    const moved = BLOBS.map((b, i) => ({ ...b, x: b.x + (i % 2 ? 0.05 : -0.05), y: b.y + 0.04 }));
    expect(match(scene(moved, 320, 240))).to.be.lessThan(0.97);
    const recoloured = BLOBS.map((b) => ({ ...b, rgb: [b.rgb[2], b.rgb[1], b.rgb[0]] as const }));
    expect(match(scene(recoloured, 320, 240))).to.be.lessThan(0.97);
  });

  it('is symmetric and treats two flat pictures as the same', () => {
    const small = scene(BLOBS, 160, 120, { left: 0.05, top: 0.05, width: 0.9, height: 0.9 });
    const fs = pictureFingerprint(small);
    expect(fingerprintMatch(fp, 4 / 3, fs, 4 / 3)).to.equal(fingerprintMatch(fs, 4 / 3, fp, 4 / 3));
    const flat = pictureFingerprint({ data: new Uint8Array(12).fill(200), width: 2, height: 2 });
    expect(fingerprintMatch(flat, 1, flat, 1)).to.equal(1);
  });

  it('palette: another shot keeps its colours where things moved; a recolour does not', () => {
    const moved = BLOBS.map((b, i) => ({ ...b, x: b.x + (i % 2 ? 0.05 : -0.05), y: b.y + 0.04 }));
    const recoloured = BLOBS.map((b) => ({ ...b, rgb: [b.rgb[2], b.rgb[1], b.rgb[0]] as const }));
    expect(paletteDistance(fp, pictureFingerprint(scene(moved, 320, 240)))).to.be.lessThan(3);
    expect(paletteDistance(fp, pictureFingerprint(scene(recoloured, 320, 240)))).to.be.greaterThan(8);
  });
});
