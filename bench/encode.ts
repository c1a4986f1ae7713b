/**
 * Encoder throughput on a CLIP ViT-B/32-shaped model (random weights; timing only):
 * images/s and texts/s at fp32 and int8 with 1 and 2 intra-op threads, side by side, plus image
 * preprocessing cost. Generates bench/.data/vit-b32 on first run (bench/make-vit-b32.py, ~1 min).
 *
 *   npx tsx bench/encode.ts [--repeats 5] [--image-batch 4] [--text-batch 8]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { availableCpus } from '../src/encoders/cpu-topology.ts';
import { SharpImagePreprocessor } from '../src/image/image-preprocessor.ts';
import { loadModel } from '../src/model/load-model.ts';
import { CLIP_MEAN, CLIP_STD } from '../src/model/package-config.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REPEATS = arg('repeats', 5);
const IMAGE_BATCH = arg('image-batch', 4);
const TEXT_BATCH = arg('text-batch', 8);
const DIR = fileURLToPath(new URL('./.data/vit-b32/', import.meta.url));

if (!existsSync(`${DIR}onnx/vision_model_int8.onnx`)) {
  console.log('generating bench/.data/vit-b32 (once) …');
  execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./make-vit-b32.py', import.meta.url))], { stdio: 'inherit' });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timeRuns(run: () => Promise<unknown>): Promise<number[]> {
  await run(); // warm-up: first run allocates and plans
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return times;
}

const texts = Array.from({ length: TEXT_BATCH }, (_, i) => `a photo of ${i} small dogs playing on a sunny beach near the sea`);
const pixels = Array.from({ length: IMAGE_BATCH }, (_, b) => Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001 + b)));

interface Row {
  readonly variant: string;
  readonly threads: number;
  readonly imagesPerS: number;
  readonly textsPerS: number;
  readonly queryMs: number;
}
const rows: Row[] = [];
let trim = false;
for (const variant of ['fp32', 'int8']) {
  for (const threads of [1, 2]) {
    const model = await loadModel(DIR, { device: 'cpu', threads, variant });
    try {
      const img = median(await timeRuns(() => model.image.encodeBatch(pixels)));
      const txt = median(await timeRuns(() => model.text.encodeBatch(texts)));
      const query = median(await timeRuns(() => model.text.encodeOne('a photo of a cat')));
      rows.push({ variant, threads, imagesPerS: (IMAGE_BATCH * 1000) / img, textsPerS: (TEXT_BATCH * 1000) / txt, queryMs: query });
      if (variant === 'fp32' && threads === 1) trim = model.details.trimPadding;
      console.log(`  measured ${variant} × ${threads} thread(s)`);
    } finally {
      await model.close();
    }
  }
}

const base = rows[0]!;
console.log(`\nViT-B/32-shaped CLIP, CPU, ${os.availableParallelism()} logical CPUs, ${availableCpus()} available to clipdex`);
console.log(
  `medians of ${REPEATS} runs; image batch ${IMAGE_BATCH}, text batch ${TEXT_BATCH} (~14 tokens each, ` +
    `${trim ? 'padding trimmed: inert for this graph' : 'padded to 77'}); query = one 7-token text\n`,
);
console.log('variant  threads   images/s   ×base    texts/s   ×base   query ms');
for (const r of rows) {
  console.log(
    `${r.variant.padEnd(8)} ${String(r.threads).padStart(7)} ${r.imagesPerS.toFixed(2).padStart(10)} ${(r.imagesPerS / base.imagesPerS).toFixed(2).padStart(7)}` +
      ` ${r.textsPerS.toFixed(2).padStart(10)} ${(r.textsPerS / base.textsPerS).toFixed(2).padStart(7)} ${r.queryMs.toFixed(1).padStart(10)}`,
  );
}

// Preprocessing: decode + resize/crop + normalise, per image, in the default 'fast' mode
// (Pillow-exact for small images, libvips cubic for big photos; see image-preprocessor.ts).
const spec = { width: 224, height: 224, resizeMode: 'shortest', mean: CLIP_MEAN, std: CLIP_STD, interpolation: 'bicubic', rescaleFactor: 1 / 255 } as const;
const pre = new SharpImagePreprocessor(spec);
console.log('\npreprocess (ms/image, median)');
for (const name of ['landscape.jpg', 'photo-4000.jpg']) {
  const bytes = readFileSync(fileURLToPath(new URL(`../fixtures/images/${name}`, import.meta.url)));
  console.log(`  ${name.padEnd(16)} ${median(await timeRuns(() => pre.preprocess(bytes))).toFixed(1)}`);
}
