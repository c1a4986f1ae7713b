/**
 * Encoder throughput per model, variant and thread count, side by side: images/s, texts/s and one
 * query's latency with 1 ONNX thread and with the calibrated count (what clipdex picks on this
 * machine), for every variant the package has (fp32, int8/quantized). Says which variant is
 * faster per tower, and what the 'fast' decode saves per core against 'exact'.
 *
 *   npx tsx bench/encode.ts [--repeats 7] [--image-batch 8] [--text-batch 8] [--model <dir>] [--vit] [--device cpu|webgpu|cuda]
 *
 * Models: the bundled one (or --model), plus the ViT-B/32-shaped graph in bench/.data/vit-b32 when
 * it exists (--vit generates it: bench/make-vit-b32.py, torch + onnx, ~1 min). Calibrations are
 * cached in bench/.data/cache (delete it to measure again).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { availableCpus } from '../src/encoders/cpu-topology.ts';
import { SharpImagePreprocessor } from '../src/image/image-preprocessor.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { CalibrationCache } from '../src/model/calibration-cache.ts';
import { loadModel } from '../src/model/load-model.ts';
import { CLIP_MEAN, CLIP_STD } from '../src/model/package-config.ts';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '7' },
    'image-batch': { type: 'string', default: '8' },
    'text-batch': { type: 'string', default: '8' },
    model: { type: 'string' },
    vit: { type: 'boolean', default: false },
    device: { type: 'string', default: 'cpu' },
  },
});
const REPEATS = Number(values.repeats);
const IMAGE_BATCH = Number(values['image-batch']);
const TEXT_BATCH = Number(values['text-batch']);
const BENCH = import.meta.dirname;
const VIT = path.join(BENCH, '.data', 'vit-b32');
const calibration = { cache: new CalibrationCache(path.join(BENCH, '.data', 'cache', 'models')) };
const cpus = availableCpus();
const device = values.device as 'cpu' | 'cuda' | 'webgpu';

if (values.vit && !existsSync(path.join(VIT, 'onnx', 'vision_model_int8.onnx'))) {
  console.log('generating bench/.data/vit-b32 (once) …');
  execFileSync('/usr/bin/python3', [path.join(BENCH, 'make-vit-b32.py')], { stdio: 'inherit' });
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

const texts = Array.from(
  { length: TEXT_BATCH },
  (_, i) => `a photo of ${i} small dogs playing on a sunny beach near the sea`,
);

interface Row {
  readonly variant: string;
  readonly threads: string;
  readonly imagesPerS: number;
  readonly textsPerS: number;
  readonly queryMs: number;
}

const variantsOf = (dir: string): string[] => {
  const names = readdirSync(path.join(dir, 'onnx'));
  return ['fp32', 'quantized', 'int8'].filter((v) =>
    names.includes(v === 'fp32' ? 'vision_model.onnx' : `vision_model_${v}.onnx`),
  );
};

async function benchModel(name: string, dir: string): Promise<void> {
  const rows: Row[] = [];
  for (const variant of variantsOf(dir)) {
    for (const mode of ['1', 'calibrated'] as const) {
      const model = await loadModel(dir, {
        device,
        variant,
        ...(mode === '1' ? { threads: 1 } : { calibration }),
      });
      try {
        const [h, w] = [model.preprocessor.spec.height, model.preprocessor.spec.width];
        const pixels = Array.from({ length: IMAGE_BATCH }, (_, b) =>
          Float32Array.from({ length: 3 * h * w }, (_, i) => Math.sin(i * 0.001 + b)),
        );
        const img = median(await timeRuns(() => model.image.encodeBatch(pixels)));
        const txt = median(await timeRuns(() => model.text.encodeBatch(texts)));
        const query = median(await timeRuns(() => model.text.encodeOne('a photo of a cat')));
        const t = model.details.threads;
        const threads = mode === '1' ? '1' : `${t.vision.threads}/${t.text.threads} (${t.vision.source})`;
        rows.push({
          variant,
          threads,
          imagesPerS: (IMAGE_BATCH * 1000) / img,
          textsPerS: (TEXT_BATCH * 1000) / txt,
          queryMs: query,
        });
      } finally {
        await model.close();
      }
    }
  }
  const base = rows[0]!;
  console.log(
    `\n${name} on ${device}: medians of ${REPEATS} runs; image batch ${IMAGE_BATCH}, text batch ${TEXT_BATCH}; query = one short text`,
  );
  console.log('variant    threads (vision/text)      images/s   ×base    texts/s   ×base   query ms');
  for (const r of rows) {
    console.log(
      `${r.variant.padEnd(10)} ${r.threads.padEnd(24)} ${r.imagesPerS.toFixed(1).padStart(10)} ${(r.imagesPerS / base.imagesPerS).toFixed(2).padStart(7)}` +
        ` ${r.textsPerS.toFixed(1).padStart(10)} ${(r.textsPerS / base.textsPerS).toFixed(2).padStart(7)} ${r.queryMs.toFixed(2).padStart(10)}`,
    );
  }
  const calibrated = rows.filter((r) => r.threads !== '1');
  const best = (key: 'imagesPerS' | 'textsPerS') => calibrated.reduce((a, b) => (b[key] > a[key] ? b : a));
  const describe = (key: 'imagesPerS' | 'textsPerS') =>
    calibrated.map((r) => `${r.variant} ${r[key].toFixed(1)}`).join(' vs ');
  console.log(
    `faster variant, calibrated threads: vision ${best('imagesPerS').variant} (${describe('imagesPerS')}), text ${best('textsPerS').variant} (${describe('textsPerS')})`,
  );
  const q1 = rows.find((r) => r.variant === base.variant && r.threads === '1')!;
  const qc = rows.find((r) => r.variant === base.variant && r.threads !== '1')!;
  console.log(
    `query p50 calibrated / 1 thread (${base.variant}): ${(qc.queryMs / q1.queryMs).toFixed(2)}  (goal ≤ 0.6 on a machine where 2 threads help)`,
  );
}

console.log(
  `bench/encode: ${cpus} CPU(s) available (${os.cpus()[0]?.model ?? '?'}), ${os.cpus().length} logical; ${os.loadavg()[0]!.toFixed(1)} load average at start`,
);
await benchModel(
  values.model ? path.basename(values.model) : 'bundled clipdex-mini (64 px)',
  path.resolve(values.model ?? bundledModelDir()),
);
if (existsSync(path.join(VIT, 'onnx', 'vision_model.onnx'))) {
  await benchModel('ViT-B/32-shaped (224 px, random weights)', VIT);
} else console.log('\n(ViT-B/32-shaped graph not generated: --vit makes it, needs torch + onnx)');

// Decode + preprocess per core (this thread only), 'fast' against 'exact', at 224 and 64 px.
const photos = ['landscape.jpg', 'photo-4000.jpg'].map((n) =>
  path.join(BENCH, '..', 'fixtures', 'images', n),
);
const benchPhotos = path.join(BENCH, '.data', 'index-photos');
if (existsSync(benchPhotos)) {
  photos.push(
    ...readdirSync(benchPhotos)
      .slice(0, 4)
      .map((n) => path.join(benchPhotos, n)),
  );
}
console.log(`\ndecode + preprocess, ms per image on one core (median of ${REPEATS}), fast vs exact`);
for (const size of [224, 64]) {
  const spec = {
    width: size,
    height: size,
    resizeMode: 'shortest',
    mean: CLIP_MEAN,
    std: CLIP_STD,
    interpolation: 'bicubic',
    rescaleFactor: 1 / 255,
  } as const;
  const fast = new SharpImagePreprocessor(spec, { fidelity: 'fast' });
  const exact = new SharpImagePreprocessor(spec, { fidelity: 'exact' });
  let sumFast = 0;
  let sumExact = 0;
  for (const file of photos) {
    const bytes = readFileSync(file);
    const f = median(await timeRuns(() => fast.preprocess(bytes)));
    const e = median(await timeRuns(() => exact.preprocess(bytes)));
    sumFast += f;
    sumExact += e;
    console.log(
      `  ${size} px  ${path.basename(file).padEnd(18)} fast ${f.toFixed(1).padStart(7)}  exact ${e.toFixed(1).padStart(7)}  speed-up ${(e / f).toFixed(2)}×`,
    );
  }
  console.log(
    `  ${size} px  all: fast ${(1000 / (sumFast / photos.length)).toFixed(1)} images/s per core, exact ${(1000 / (sumExact / photos.length)).toFixed(1)}; ${(sumExact / sumFast).toFixed(2)}×`,
  );
}
