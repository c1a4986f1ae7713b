import { expect } from 'chai';
import type { PreprocessSpec } from '../../../src/image/preprocess.types.ts';
import { pilResizeCrop } from '../../../src/image/pil-resample.ts';
import { cropRgb, planResize, roundHalfEven, toChwTensor } from '../../../src/image/preprocess.ts';

const spec = (over: Partial<PreprocessSpec> = {}): PreprocessSpec => ({
  width: 224,
  height: 224,
  resizeMode: 'shortest',
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.5, 1],
  interpolation: 'bicubic',
  rescaleFactor: 1 / 255,
  ...over,
});

function grey(width: number, height: number, values: readonly number[]) {
  return { data: Uint8Array.from(values.flatMap((v) => [v, v, v])), width, height };
}

describe('preprocess geometry (torchvision Resize(int) + CenterCrop)', () => {
  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven)).to.deep.equal([0, 2, 2, 0, 2, 3]);
  });

  it('landscape: short side to 224, long side truncated, crop centred', () => {
    expect(planResize(640, 480, spec())).to.deep.equal({
      resizeWidth: 298,
      resizeHeight: 224,
      cropLeft: 37,
      cropTop: 0,
      cropWidth: 224,
      cropHeight: 224,
    });
  });

  it('portrait and odd margins use banker-rounded offsets', () => {
    // 224 × 301 → margin 77 → 38.5 → 38 (even)
    expect(planResize(224, 301, spec())).to.include({
      resizeWidth: 224,
      resizeHeight: 301,
      cropLeft: 0,
      cropTop: 38,
    });
    // 224 × 303 → 39.5 → 40
    expect(planResize(224, 303, spec())).to.include({ cropTop: 40 });
  });

  it('honours a separate shortest edge (resize 256, crop 224)', () => {
    expect(planResize(512, 512, spec({ shortestEdge: 256 }))).to.deep.include({
      resizeWidth: 256,
      resizeHeight: 256,
      cropLeft: 16,
      cropTop: 16,
    });
  });

  it('squash resizes straight to the tensor size', () => {
    expect(planResize(4000, 1000, spec({ resizeMode: 'squash', width: 64, height: 64 }))).to.deep.equal({
      resizeWidth: 64,
      resizeHeight: 64,
      cropLeft: 0,
      cropTop: 0,
      cropWidth: 64,
      cropHeight: 64,
    });
  });
});

describe('toChwTensor and cropRgb', () => {
  it('rescales, normalises per channel and lays out channel-major', () => {
    const image = { data: Uint8Array.from([255, 0, 51, 0, 255, 102]), width: 2, height: 1 };
    const t = toChwTensor(image, spec());
    const expected = [
      (1 - 0.5) / 0.25,
      (0 - 0.5) / 0.25,
      (0 - 0.5) / 0.5,
      (1 - 0.5) / 0.5,
      (0.2 - 0.5) / 1,
      (0.4 - 0.5) / 1,
    ];
    expected.forEach((v, i) => expect(t[i]).to.be.closeTo(v, 1e-6));
  });

  it('cuts the requested window', () => {
    const image = grey(3, 2, [1, 2, 3, 4, 5, 6]);
    expect(Array.from(cropRgb(image, 1, 1, 2, 1).data)).to.deep.equal([5, 5, 5, 6, 6, 6]);
  });
});

describe('pilResizeCrop (Pillow Resample.c)', () => {
  it('upscales a step edge exactly as Pillow BICUBIC (values from Pillow 9.4)', () => {
    const row = [0, 0, 0, 255, 255, 0, 0, 0];
    const out = pilResizeCrop(grey(8, 2, [...row, ...row]), 20, 2, 'bicubic');
    const first = Array.from({ length: 20 }, (_, i) => out.data[i * 3]);
    expect(first).to.deep.equal([0, 0, 0, 0, 0, 0, 16, 128, 239, 255, 255, 239, 128, 16, 0, 0, 0, 0, 0, 0]);
  });

  it('keeps a constant image constant when downscaling (weights sum to one)', () => {
    const out = pilResizeCrop(grey(97, 61, new Array<number>(97 * 61).fill(77)), 13, 9, 'bicubic');
    expect(new Set(out.data)).to.deep.equal(new Set([77]));
  });

  it('a window equals the same region of the full resize', () => {
    const values = Array.from({ length: 40 * 30 }, (_, i) => (i * 37) % 256);
    const full = pilResizeCrop(grey(40, 30, values), 25, 17, 'bicubic');
    const part = pilResizeCrop(grey(40, 30, values), 25, 17, 'bicubic', {
      left: 5,
      top: 3,
      width: 10,
      height: 8,
    });
    expect(Array.from(part.data)).to.deep.equal(Array.from(cropRgb(full, 5, 3, 10, 8).data));
  });

  it('nearest and bilinear produce the requested size', () => {
    for (const filter of ['nearest', 'bilinear'] as const) {
      const out = pilResizeCrop(grey(10, 10, new Array<number>(100).fill(9)), 4, 7, filter);
      expect([out.width, out.height, out.data.length]).to.deep.equal([4, 7, 84]);
      expect(new Set(out.data)).to.deep.equal(new Set([9]));
    }
  });
});
