import { expect } from 'chai';
import type { ImageEncoder, TextEncoder } from '../../../src/encoders/encoder.ts';
import type { ImagePreprocessor } from '../../../src/image/preprocess.types.ts';
import { EngineError } from '../../../src/errors.ts';
import type { EvalManifest } from '../../../src/eval/eval-manifest.ts';
import { runEval } from '../../../src/eval/run-eval.ts';

/** A fake model over a 3-word world: an image's bytes name its concept, captions are matched by word. */
const WORDS = ['cat', 'dog', 'sun'];
const oneHot = (i: number) => Float32Array.from(WORDS, (_, j) => (j === i ? 1 : 0));
const fakeModel = () => {
  const calls = { image: 0, text: 0 };
  const preprocessor = {
    preprocess: (bytes: Uint8Array) =>
      Promise.resolve({
        pixels: Float32Array.from([WORDS.indexOf(new TextDecoder().decode(bytes))]),
        width: 1,
        height: 1,
        format: 'png',
      }),
  } as unknown as ImagePreprocessor;
  const image = {
    encodeBatch: (px: readonly Float32Array[]) => {
      calls.image++;
      return Promise.resolve(px.map((p) => oneHot(p[0]!)));
    },
  } as unknown as ImageEncoder;
  const text = {
    encodeBatch: (texts: readonly string[]) => {
      calls.text++;
      return Promise.resolve(texts.map((t) => oneHot(WORDS.findIndex((w) => t.includes(w)))));
    },
  } as unknown as TextEncoder;
  return { model: { preprocessor, image, text }, calls };
};
const files: Record<string, string> = { '/a.png': 'cat', '/b.png': 'dog', '/c.png': 'sun' };
const readBytes = (file: string) =>
  file in files
    ? Promise.resolve(new TextEncoder().encode(files[file]))
    : Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' }));

describe('runEval', () => {
  const manifest: EvalManifest = {
    entries: [
      { image: '/a.png', captions: ['a cat', 'cat on a mat'] },
      { image: '/b.png', captions: ['a dog'] },
      { image: '/c.png', captions: [] },
    ],
    captionCount: 3,
  };

  it('encodes every image and caption in batches and reports recall in percent', async () => {
    const { model, calls } = fakeModel();
    const progress: string[] = [];
    const report = await runEval(model, manifest, {
      ks: [1, 5],
      batchSize: 2,
      readBytes,
      onProgress: (d, t, p) => progress.push(`${p}:${d}/${t}`),
    });
    expect(report).to.deep.include({ images: 3, captions: 3, queryImages: 2 });
    expect(report.t2i).to.deep.equal({ r1: 100, r5: 100 });
    // Image a's two captions score the same; a tie among its OWN captions is not a miss.
    expect(report.i2t).to.deep.equal({ r1: 100, r5: 100 });
    expect(calls).to.deep.equal({ image: 2, text: 2 });
    expect(progress).to.deep.equal(['images:2/3', 'images:3/3', 'captions:2/3', 'captions:3/3']);
  });

  it('reports a missing image as NOT_FOUND with its path', async () => {
    const { model } = fakeModel();
    const bad: EvalManifest = { entries: [{ image: '/missing.png', captions: ['cat'] }], captionCount: 1 };
    const err = await runEval(model, bad, { readBytes }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EngineError).with.property('code', 'NOT_FOUND');
    expect((err as Error).message).to.contain('/missing.png');
  });

  it('stops with ABORTED when the signal fires', async () => {
    const { model } = fakeModel();
    const controller = new AbortController();
    controller.abort();
    const err = await runEval(model, manifest, { readBytes, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(EngineError).with.property('code', 'ABORTED');
  });
});
