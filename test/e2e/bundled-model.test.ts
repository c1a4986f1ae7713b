/**
 * The bundled model (fixtures/models/clipdex-mini) through the standard loader and the real
 * `clipdex eval` CLI: it must load like any HF-layout CLIP package and actually retrieve across
 * modalities on the demo corpus, in English and Chinese.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { ClipModel } from '../../src/model/model.types.ts';
import { bundledModelDir } from '../../src/model/bundled-model.ts';
import { loadModel } from '../../src/model/load-model.ts';
import { dot } from '../../src/vector/vector-math.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const demoDir = path.join(root, 'fixtures', 'demo');

interface DemoLine {
  image: string;
  captions: string[];
}

/** Indexes of `items` sorted by descending similarity to `query`. */
const ranking = (query: Float32Array, items: readonly Float32Array[]): number[] =>
  items
    .map((v, i) => [dot(query, v), i] as const)
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => i);

describe('bundled model (clipdex-mini)', function () {
  this.timeout(120_000);
  let model: ClipModel;
  let lines: DemoLine[];
  let imageVectors: Float32Array[];

  before(async () => {
    model = await loadModel(bundledModelDir(), { threads: 1, device: 'cpu' });
    const text = await readFile(path.join(demoDir, 'captions.jsonl'), 'utf8');
    lines = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as DemoLine);
    const tensors = [];
    for (const line of lines) {
      tensors.push(
        (await model.preprocessor.preprocess(await readFile(path.join(demoDir, line.image)))).pixels,
      );
    }
    imageVectors = [];
    for (let i = 0; i < tensors.length; i += 64) {
      imageVectors.push(...(await model.image.encodeBatch(tensors.slice(i, i + 64))));
    }
  });

  after(async () => {
    await model?.close();
  });

  it('loads through the standard loader as a Hugging Face layout package', () => {
    expect(model.fingerprint.layout).to.equal('huggingface');
    expect(model.text.dim).to.equal(model.image.dim);
    expect(model.preprocessor.spec.width).to.equal(64);
    expect(imageVectors).to.have.length(lines.length);
    expect(lines.length).to.be.greaterThan(200);
  });

  for (const query of ['pizza', '披萨']) {
    it(`"${query}" ranks a pizza image in the top 5 of ${'the demo corpus'}`, async () => {
      const [q] = await model.text.encodeBatch([query]);
      const top5 = ranking(q!, imageVectors)
        .slice(0, 5)
        .map((i) => lines[i]!.image);
      expect(
        top5.some((image) => /\/pizza-/.test(image)),
        top5.join(', '),
      ).to.equal(true);
    });
  }

  it('a pizza image retrieves a pizza caption in the top 5 of all demo captions', async () => {
    const captions = [...new Set(lines.flatMap((l) => l.captions))];
    const captionVectors = await model.text.encodeBatch(captions);
    const pizzaImages = lines.map((l, i) => [l, i] as const).filter(([l]) => /\/pizza-/.test(l.image));
    expect(pizzaImages.length).to.be.greaterThan(0);
    for (const [line, i] of pizzaImages) {
      const top5 = ranking(imageVectors[i]!, captionVectors)
        .slice(0, 5)
        .map((c) => captions[c]!);
      expect(
        top5.some((c) => c === 'pizza' || c === '披萨'),
        `${line.image}: ${top5.join(', ')}`,
      ).to.equal(true);
    }
  });

  it('the int8 variant loads and agrees with fp32 on "pizza"', async () => {
    const quantized = await loadModel(bundledModelDir(), { threads: 1, device: 'cpu', variant: 'quantized' });
    try {
      const [a] = await model.text.encodeBatch(['pizza']);
      const [b] = await quantized.text.encodeBatch(['pizza']);
      expect(dot(a!, b!)).to.be.greaterThan(0.98);
      expect(quantized.fingerprint.id).to.not.equal(model.fingerprint.id);
    } finally {
      await quantized.close();
    }
  });

  it('`clipdex eval --json` reports recall on the demo manifest far above chance', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        path.join(root, 'bin', 'clipdex.js'),
        'eval',
        '--manifest',
        path.join(demoDir, 'captions.jsonl'),
        '--json',
        '--k',
        '1,5,10',
      ],
      { cwd: root },
    );
    const report = JSON.parse(stdout) as {
      t2i: Record<string, number>;
      i2t: Record<string, number>;
      images: number;
      captions: number;
    };
    expect(report.images).to.equal(lines.length);
    expect(report.captions).to.equal(lines.reduce((n, l) => n + l.captions.length, 0));
    // Chance R@5 is 5/341 ≈ 1.5%; the model was trained on these styles and concepts.
    expect(report.t2i.r5).to.be.greaterThan(40);
    expect(report.i2t.r5).to.be.greaterThan(40);
    expect(report.t2i.r1).to.be.at.most(report.t2i.r5!);
    expect(report.t2i.r5).to.be.at.most(report.t2i.r10!);
  });
});
