/**
 * bench/index: is `clipdex index` encoder-bound, and how does it compare with transformers.js?
 *
 *   npx tsx bench/index.ts [--images 120] [--runs 3] [--model <dir>] [--threads N] [--batch-size 32] [--decode-workers N]
 *
 * On one folder of generated 3–12 MP JPEGs and one model it measures (images/s, median of runs):
 *   1. encoder-only: the vision tower on already-preprocessed tensors (the ceiling);
 *   2. decode + preprocess only (sharp), at the pipeline's concurrency;
 *   3. end-to-end `runIndex` into a fresh library (read, hash, decode, encode, SQLite + HNSW);
 *   4. transformers.js (`@huggingface/transformers` in Node) reading the same files and running the
 *      same model directory: RawImage.read → AutoProcessor → CLIPVisionModelWithProjection.
 * and prints end-to-end / encoder-only (goal ≥ 0.9) and clipdex / transformers.js (goal ≥ 2).
 * transformers.js is this benchmark's own dev dependency: `cd bench && npm install`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INDEX_DEFAULTS } from '../indexer/pipeline/index-request.ts';
import { defaultDecodeWorkers } from '../indexer/cli-support/index-args.ts';
import { runIndex } from '../indexer/pipeline/index-run.ts';
import { PreprocessPool } from '../indexer/pipeline/preprocess-pool.ts';
import { physicalCoreCount } from '../src/encoders/cpu-topology.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { loadModel } from '../src/model/load-model.ts';
import { openLibrary } from '../src/store/open-library.ts';
import { ensurePhotos } from './index-photos.ts';
import { runTransformersJs } from './index-transformers.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '120' },
    model: { type: 'string' },
    threads: { type: 'string' },
    'batch-size': { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    'decode-workers': { type: 'string' },
  },
});
const count = Number(values.images);
const batchSize = Number(values['batch-size']);
const runs = Math.max(1, Number(values.runs));
const threads = values.threads ? Number(values.threads) : physicalCoreCount();
const modelDir = path.resolve(values.model ?? bundledModelDir());
const workers = values['decode-workers'] === undefined ? defaultDecodeWorkers() : Number(values['decode-workers']);
const log = (line: string): void => console.log(line);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dataDir = path.join(import.meta.dirname, '.data', 'index-photos');
log(`bench/index: ${count} JPEGs (3–12 MP) in ${dataDir}, model ${modelDir}, ${threads} ONNX thread(s), ${workers} decode worker(s), batch ${batchSize}, ${os.cpus().length} logical CPUs`);
const files = await ensurePhotos(dataDir, count, log);
const totalBytes = (await Promise.all(files.map(async (f) => (await readFile(f)).length))).reduce((a, b) => a + b, 0);
log(`  ${(totalBytes / 1e6).toFixed(0)} MB of JPEG`);

const model = await loadModel(modelDir, { device: 'cpu', threads });
const pool = workers > 0 ? new PreprocessPool(model.preprocessor.spec, workers) : undefined;
const preprocessor = pool ?? model.preprocessor;
const concurrency = Math.max(INDEX_DEFAULTS.concurrency, os.availableParallelism(), 2 * workers);
const rates: Record<string, number[]> = { encoder: [], decode: [], e2e: [], tjs: [] };
// Images per CPU-second (all threads of this process): comparable even on a busy shared machine.
const perCpu: Record<'e2e' | 'tjs', number[]> = { e2e: [], tjs: [] };
const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};
try {
  for (let r = 0; r < runs; r += 1) {
    // 2. decode + preprocess at the pipeline's concurrency, keeping the tensors for step 1.
    let t = performance.now();
    const tensors: Float32Array[] = new Array<Float32Array>(files.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < files.length; i = next++) tensors[i] = (await preprocessor.preprocess(await readFile(files[i]!))).pixels;
      }),
    );
    rates.decode!.push(files.length / ((performance.now() - t) / 1000));

    // 1. encoder only.
    t = performance.now();
    for (let i = 0; i < tensors.length; i += batchSize) await model.image.encodeBatch(tensors.slice(i, i + batchSize));
    rates.encoder!.push(tensors.length / ((performance.now() - t) / 1000));

    // 3. end to end into a fresh library.
    const libDir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-bench-'));
    try {
      const library = await openLibrary(libDir, { fingerprint: model.fingerprint });
      try {
        const cpu0 = process.cpuUsage();
        const summary = await runIndex(
          { ...INDEX_DEFAULTS, folders: [dataDir], imageFiles: [], corpora: [], captions: [], filter: { include: files.map((f) => path.basename(f)) }, batchSize, concurrency },
          library,
          { text: model.text, image: model.image, preprocessor, fingerprint: model.fingerprint, ...(pool ? { hash: (b: Uint8Array) => pool.hash(b) } : {}) },
        );
        if (summary.stats.images.indexed !== files.length) throw new Error(`indexed ${summary.stats.images.indexed} of ${files.length}`);
        rates.e2e!.push(files.length / (summary.elapsedMs / 1000));
        perCpu.e2e.push(files.length / cpuSeconds(cpu0));
      } finally {
        await library.close();
      }
    } finally {
      await rm(libDir, { recursive: true, force: true });
    }

    // 4. transformers.js on the same files and model.
    const cpu1 = process.cpuUsage();
    const tjs = await runTransformersJs(modelDir, files, batchSize, threads);
    if (tjs === undefined) {
      if (r === 0) log('  transformers.js not installed: run `cd bench && npm install` to compare (skipped)');
    } else {
      rates.tjs!.push(tjs);
      perCpu.tjs.push(files.length / cpuSeconds(cpu1));
    }
    log(`  run ${r + 1}/${runs}: ${Object.entries(rates).map(([k, v]) => `${k} ${v.at(-1)?.toFixed(1) ?? '-'}`).join(', ')} images/s`);
  }
} finally {
  await pool?.close();
  await model.close();
}

const enc = median(rates.encoder!);
const dec = median(rates.decode!);
const e2e = median(rates.e2e!);
log('');
log(`median images/s over ${runs} run(s), ${count} images`);
log(`  clipdex encoder only             ${enc.toFixed(1).padStart(8)}`);
log(`  clipdex decode + preprocess only ${dec.toFixed(1).padStart(8)}`);
log(`  clipdex end to end (index)       ${e2e.toFixed(1).padStart(8)}`);
log(`  end-to-end / encoder-only        ${(e2e / enc).toFixed(2).padStart(8)}   (goal ≥ 0.9)`);
log(`  end-to-end / min(encoder, decode) ${(e2e / Math.min(enc, dec)).toFixed(2).padStart(7)}   (how close to the slower stage)`);
// With one physical core, decode and encode share it: no overlap can beat doing them in turn.
const serial = 1 / (1 / enc + 1 / dec);
log(`  one-core bound 1/(1/enc + 1/dec)  ${serial.toFixed(1).padStart(7)}   (e2e / bound ${(e2e / serial).toFixed(2)}; ${physicalCoreCount()} physical core(s) here)`);
if (rates.tjs!.length) {
  const tjs = median(rates.tjs!);
  log(`  transformers.js end to end       ${tjs.toFixed(1).padStart(8)}`);
  log(`  clipdex / transformers.js        ${(e2e / tjs).toFixed(2).padStart(8)}   (goal ≥ 2)`);
  const [ce, ct] = [median(perCpu.e2e), median(perCpu.tjs)];
  log(`  images per CPU-second: clipdex ${ce.toFixed(1)}, transformers.js ${ct.toFixed(1)}, ratio ${(ce / ct).toFixed(2)} (independent of other load)`);
}
