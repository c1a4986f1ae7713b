// The PIL goldens under fixtures/images/golden (made by fixtures/generate/make-golden.py):
// their index, the preprocessing spec each was made with, and the reference tensor.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { PreprocessSpec } from '../../../src/image/preprocess.types.ts';
import { toChwTensor } from '../../../src/image/preprocess.ts';
import { CLIP_MEAN, CLIP_STD } from '../../../src/model/package-config.ts';
import { FIXTURES } from './model-test-dirs.ts';

export const IMAGES = path.join(FIXTURES, 'images');
const GOLDEN = path.join(IMAGES, 'golden');

export interface GoldenCase {
  readonly image: string;
  readonly mode: 'shortest' | 'squash';
  readonly size: number;
  readonly file: string;
  readonly source_size: [number, number];
}

export const goldenCases = (
  JSON.parse(readFileSync(path.join(GOLDEN, 'index.json'), 'utf8')) as { cases: GoldenCase[] }
).cases;

export const specFor = (c: GoldenCase): PreprocessSpec => ({
  width: c.size,
  height: c.size,
  resizeMode: c.mode,
  mean: CLIP_MEAN,
  std: CLIP_STD,
  interpolation: 'bicubic',
  rescaleFactor: 1 / 255,
});

export const goldenTensor = (c: GoldenCase): Float32Array =>
  toChwTensor(
    {
      data: new Uint8Array(gunzipSync(readFileSync(path.join(GOLDEN, c.file)))),
      width: c.size,
      height: c.size,
    },
    specFor(c),
  );

export const imageBytes = (c: GoldenCase): Buffer => readFileSync(path.join(IMAGES, c.image));

/** Largest absolute difference between two tensors of the same length. */
export const maxAbsDiff = (a: Float32Array, b: Float32Array): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
