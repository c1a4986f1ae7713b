/**
 * A fake model for pipeline tests: "images" are files whose bytes start with `IMG:`; anything
 * else is rejected like an undecodable file. Vectors are derived from the content so equal
 * content gives equal vectors. Records every batch it encodes.
 */
import { EngineError } from '../../../../src/errors.ts';
import type { IndexModel } from '../../../../indexer/pipeline/index-deps.ts';

const DIM = 4;

function vectorOf(s: string): Float32Array {
  const v = new Float32Array(DIM);
  for (let i = 0; i < s.length; i += 1) v[i % DIM]! += s.charCodeAt(i);
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

export class FakeModel implements IndexModel {
  imageBatches: number[] = [];
  textBatches: string[][] = [];
  /** Pixels whose first value equals this make the image tower throw. */
  poison = -1;

  readonly preprocessor: IndexModel['preprocessor'] = {
    spec: {
      width: 2,
      height: 2,
      resizeMode: 'shortest',
      mean: [0, 0, 0],
      std: [1, 1, 1],
      interpolation: 'bicubic',
      rescaleFactor: 1 / 255,
    },
    preprocess: async (bytes, options) => {
      await Promise.resolve();
      const s = Buffer.from(bytes).toString('utf8');
      if (!s.startsWith('IMG:')) throw new EngineError('UNSUPPORTED_MEDIA', 'not an image');
      const side = Number(/size=(\d+)/.exec(s)?.[1] ?? 8);
      if (options?.maxPixels !== undefined && side * side > options.maxPixels) {
        throw new EngineError('TOO_LARGE', `image has ${side * side} pixels`);
      }
      return { pixels: Float32Array.from(vectorOf(s)), width: side, height: side, format: 'fake' };
    },
  };

  readonly image: IndexModel['image'] = {
    dim: DIM,
    modelId: 'fake',
    encodeBatch: async (pixels) => {
      await Promise.resolve();
      if (pixels.some((p) => p[0] === this.poison)) throw new Error('bad tensor');
      this.imageBatches.push(pixels.length);
      return pixels.map((p) => Float32Array.from(p));
    },
    encodeOne: (p) => Promise.resolve(Float32Array.from(p)),
  };

  readonly text: IndexModel['text'] = {
    dim: DIM,
    modelId: 'fake',
    contextLength: 77,
    encodeBatch: async (texts) => {
      await Promise.resolve();
      this.textBatches.push([...texts]);
      return texts.map(vectorOf);
    },
    encodeOne: (t) => Promise.resolve(vectorOf(t)),
  };

  get imagesEncoded(): number {
    return this.imageBatches.reduce((a, b) => a + b, 0);
  }
  get textsEncoded(): number {
    return this.textBatches.reduce((a, b) => a + b.length, 0);
  }
}
