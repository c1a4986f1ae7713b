/**
 * What the keyword leg costs a search: the real SearchService in mode `vector` against mode
 * `hybrid` (FTS5 keyword leg + RRF fusion) on the same synthetic library and the same queries.
 *
 *   npx tsx bench/hybrid-latency.ts [--n 100000] [--queries 200] [--rounds 3] [--clusters 1000]
 *                                   [--dir <dir>] [--build-only] [--fake-encoder] [--threads 1]
 *
 * With --dir, a library already built there (same --n and --clusters) is reused, so the slow
 * ingest can run once at low priority (`--build-only`, e.g. under nice) and the timed queries
 * later, alone. Each round runs every query in vector and hybrid mode, interleaved; the report
 * gives each round's p50s, the median over rounds, CPU-seconds per mode and the load average.
 *
 * The library is written through the store's own write path (openLibrary, write batches of 2000,
 * a checkpoint every 20k), so the keyword index (migration 0005) is built as the indexer builds
 * it. Items are clustered 512-d unit vectors (as bench/store-scale.ts) with photo-like paths made
 * from small word lists, e.g. `2019/paris-trip/IMG_20190714_eiffel-tower-3.jpg`; a cluster's items
 * mostly carry its subject word. Each query's text goes through the real bundled text encoder
 * (ONNX, fixtures/models/clipdex-mini, as the CLI and server load it), so its time is in every
 * vector and hybrid query as on the real path; the vector searched is then one near the centre of a
 * cluster of the query's subject (the library is synthetic 512-d; `--fake-encoder` skips ONNX).
 * Four kinds of query, interleaved (the order rotates every query) after a short warm-up: vector,
 * hybrid with the keyword leg inline (the one-shot CLI), hybrid with the keyword leg on the
 * worker thread the server uses (it overlaps the text encoding), keyword alone. No query cache
 * (the server caches recent texts: a repeated query skips the encoder). Goal (issue 12): hybrid
 * p50 ≤ vector p50 + 2 ms at 100k items.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ImageEncoder, TextEncoder } from '../src/encoders/encoder.ts';
import type { ImagePreprocessor } from '../src/image/preprocess.types.ts';
import { SearchService } from '../src/search/search.service.ts';
import type { SearchMode } from '../src/search/search.types.ts';
import { openLibrary } from '../src/store/open-library.ts';
import type { ModelFingerprint } from '../src/common/model-fingerprint.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { loadModel } from '../src/model/load-model.ts';
import { gaussian, normaliseInto, rng } from './synthetic-random.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    clusters: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
    'build-only': { type: 'boolean', default: false },
    'fake-encoder': { type: 'boolean', default: false },
    threads: { type: 'string', default: '1' },
  },
});
const N = Number(values.n);
const QUERIES = Number(values.queries);
const CLUSTERS = Number(values.clusters);
const ROUNDS = Number(values.rounds);
const DIM = 512;
const NOISE = 2; // as bench/vectors.ts: clustered, with near-ties inside a cluster
const WARMUP = 20;
/** vector; hybrid with the keyword leg inline; hybrid with it on the worker; keyword alone. */
type Timed = 'vector' | 'hybrid' | 'worker' | 'keyword';
const TIMED: readonly Timed[] = ['vector', 'hybrid', 'worker', 'keyword'];

const SUBJECTS = [
  'eiffel-tower',
  'beach',
  'sunset',
  'mountain',
  'dog',
  'cat',
  'birthday',
  'wedding',
  'forest',
  'lake',
  'bridge',
  'cathedral',
  'market',
  'harbour',
  'snow',
  'skiing',
  'garden',
  'flowers',
  'concert',
  'museum',
  'castle',
  'waterfall',
  'desert',
  'river',
  'train',
  'airport',
  'kitchen',
  'picnic',
  'fireworks',
  'lighthouse',
  'vineyard',
  'temple',
  'canyon',
  'island',
  'festival',
  'graduation',
  'bicycle',
  'sailing',
  'hiking',
  'camping',
  'zoo',
  'football',
  'library',
  'skyline',
  'glacier',
  'volcano',
  'rainbow',
  'street',
  'portrait',
  'breakfast',
];
const PLACES = [
  'paris',
  'rome',
  'london',
  'berlin',
  'lisbon',
  'kyoto',
  'oslo',
  'vienna',
  'prague',
  'madrid',
  'dublin',
  'athens',
  'zurich',
  'seville',
  'venice',
  'boston',
  'sydney',
  'cairo',
  'lima',
  'quebec',
];
const EVENTS = ['trip', 'holiday', 'weekend', 'visit'];

const median = (list: number[]): number => percentile(list, 0.5);
const load = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function percentile(list: number[], q: number): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const pick = <T>(list: readonly T[], random: () => number): T => list[Math.floor(random() * list.length)]!;
const subjectOf = (cluster: number): string => SUBJECTS[cluster % SUBJECTS.length]!;

function fingerprint(): ModelFingerprint {
  return {
    id: 'bench-hybrid-latency',
    name: 'bench',
    layout: 'huggingface',
    dim: DIM,
    files: {},
    preprocess: {
      width: 224,
      height: 224,
      resizeMode: 'shortest',
      mean: [0, 0, 0],
      std: [1, 1, 1],
      interpolation: 'bicubic',
      rescaleFactor: 1 / 255,
    },
  };
}

async function main(): Promise<void> {
  const base = values.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'clipdex-hybrid-latency-'));
  const libDir = path.join(base, 'library');
  console.log(
    `clipdex bench/hybrid-latency: N=${N} × ${DIM}-d in ${CLUSTERS} clusters, ${QUERIES} queries per mode, ${os.availableParallelism()} CPUs`,
  );

  const normal = gaussian(rng(1));
  const centres = new Float32Array(CLUSTERS * DIM);
  for (let i = 0; i < centres.length; i++) centres[i] = normal();
  for (let c = 0; c < CLUSTERS; c++) normaliseInto(centres, c * DIM, DIM);

  const library = await openLibrary(libDir, { fingerprint: fingerprint() });
  try {
    const existing = library.counts('image').indexed;
    if (existing !== 0 && existing !== N) throw new Error(`${libDir} holds ${existing} items, not ${N}`);
    const rootId = library.ensureRoot(path.join(base, 'media')).id;
    const random = rng(2);
    const noise = gaussian(random);
    const sigma = NOISE / Math.sqrt(DIM);
    let t = performance.now();
    for (let from = existing === N ? N : 0; from < N; from += 2000) {
      const to = Math.min(N, from + 2000);
      const vectors = new Float32Array((to - from) * DIM);
      const items = [];
      for (let p = from; p < to; p++) {
        const cluster = Math.floor(random() * CLUSTERS);
        const o = (p - from) * DIM;
        for (let i = 0; i < DIM; i++) vectors[o + i] = centres[cluster * DIM + i]! + sigma * noise();
        normaliseInto(vectors, o, DIM);
        // Most files are named for what they show; some carry another subject (names are noisy).
        const subject = random() < 0.7 ? subjectOf(cluster) : pick(SUBJECTS, random);
        const year = 2010 + Math.floor(random() * 15);
        const month = String(1 + Math.floor(random() * 12)).padStart(2, '0');
        const day = String(1 + Math.floor(random() * 28)).padStart(2, '0');
        const folder = `${year}/${pick(PLACES, random)}-${pick(EVENTS, random)}`;
        items.push({
          kind: 'image' as const,
          rootId,
          uri: `${folder}/IMG_${year}${month}${day}_${subject}-${p}.jpg`,
          status: 'indexed' as const,
          vector: vectors.subarray(o, o + DIM),
        });
      }
      library.write({ items });
      if ((from / 2000) % 10 === 9) await library.checkpoint();
    }
    if (existing === N) console.log(`  reusing the library in ${libDir}`);
    else {
      await library.checkpoint();
      console.log(`  ingest: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    if (values['build-only']) return;

    // Queries: a subject, sometimes with a place; the fake encoder maps them near a centre of that subject.
    const queryRandom = rng(3);
    const queryNoise = gaussian(queryRandom);
    const querySigma = NOISE / 2 / Math.sqrt(DIM);
    const vectorsByText = new Map<string, Float32Array>();
    const texts: string[] = [];
    for (let q = 0; q < QUERIES + WARMUP; q++) {
      const cluster = Math.floor(queryRandom() * CLUSTERS);
      const subject = subjectOf(cluster).replace('-', ' ');
      const text = queryRandom() < 0.5 ? subject : `${subject} ${pick(PLACES, queryRandom)}`;
      const key = text; // the same words always embed the same (the first draw of them wins)
      texts.push(key);
      if (vectorsByText.has(key)) continue;
      const v = new Float32Array(DIM);
      for (let i = 0; i < DIM; i++) v[i] = centres[cluster * DIM + i]! + querySigma * queryNoise();
      normaliseInto(v, 0, DIM);
      vectorsByText.set(key, v);
    }
    const model = values['fake-encoder']
      ? undefined
      : await loadModel(bundledModelDir(), { device: 'cpu', threads: Number(values.threads) });
    const vectorOf = async (key: string): Promise<Float32Array> => {
      if (model) await model.text.encodeOne(key);
      return vectorsByText.get(key)!;
    };
    const text: TextEncoder = {
      dim: DIM,
      modelId: 'bench-fake',
      contextLength: 77,
      encodeOne: vectorOf,
      encodeBatch: (keys) => Promise.all(keys.map(vectorOf)),
    };
    const unused = (): never => {
      throw new Error('not used by this bench');
    };
    const image: ImageEncoder = {
      dim: DIM,
      modelId: 'bench-fake',
      encodeOne: unused,
      encodeBatch: unused,
    };
    const deps = {
      text,
      image,
      preprocessor: { preprocess: unused } as unknown as ImagePreprocessor,
      library,
    };
    const search = new SearchService(deps);
    const worker = library.openKeywordWorker();
    const served = new SearchService({ ...deps, keywordWorker: worker });
    const run = async (timed: Timed, key: string): Promise<{ ms: number; cpuMs: number; hits: number }> => {
      const mode: SearchMode = timed === 'worker' ? 'hybrid' : timed;
      const service = timed === 'worker' ? served : search;
      const cpu = process.cpuUsage();
      const start = performance.now();
      const page = await service.search({ target: 'image', terms: [{ text: key }], mode });
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      return { ms, cpuMs: (used.user + used.system) / 1000, hits: page.results.length };
    };

    const fresh = (): Record<Timed, number[]> => ({ vector: [], hybrid: [], worker: [], keyword: [] });
    const p50s = fresh();
    const all = fresh();
    const cpu = fresh();
    let keywordMatched = 0;
    console.log(`  load average before: ${load()}`);
    t = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const times = fresh();
      for (let q = 0; q < QUERIES + WARMUP; q++) {
        const key = texts[q]!;
        // All four interleaved, the order rotating every query.
        const order = TIMED.map((_, i) => TIMED[(i + q) % TIMED.length]!);
        for (const mode of order) {
          const { ms, cpuMs, hits } = await run(mode, key);
          if (q < WARMUP) continue;
          times[mode].push(ms);
          cpu[mode].push(cpuMs);
          if (mode === 'keyword' && round === 0 && hits > 0) keywordMatched++;
        }
      }
      for (const mode of TIMED) {
        p50s[mode].push(median(times[mode]));
        all[mode].push(...times[mode]);
      }
      const p = (mode: Timed): string => p50s[mode][round]!.toFixed(2);
      const plus = (mode: Timed): string => (p50s[mode][round]! - p50s.vector[round]!).toFixed(2);
      console.log(
        `  round ${round + 1}: wall p50 vector ${p('vector')} ms, hybrid inline ${p('hybrid')} (+${plus('hybrid')}), hybrid worker ${p('worker')} (+${plus('worker')}), keyword ${p('keyword')}; load ${load()}`,
      );
    }
    console.log(`  queries: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const v50 = median(p50s.vector);
    const h50 = median(p50s.hybrid);
    const w50 = median(p50s.worker);
    const cell = (f: (mode: Timed) => number): string[] => TIMED.map((m) => f(m).toFixed(2));
    const rows = [
      ['', 'vector', 'hybrid', 'hyb+wkr', 'keyword'],
      ['p50 ms', ...cell((m) => median(p50s[m]))],
      ['p99 ms', ...cell((m) => percentile(all[m], 0.99))],
      ['cpu p50', ...cell((m) => median(cpu[m]))],
      ['cpu p99', ...cell((m) => percentile(cpu[m], 0.99))],
    ];
    console.log(
      `  medians over ${ROUNDS} rounds of ${QUERIES} queries (cpu: CPU time per query over all rounds, all threads); text encoder: ${model ? `bundled ONNX, ${values.threads} thread(s)` : 'fake'}`,
    );
    for (const r of rows) {
      console.log(
        `  ${r[0]!.padEnd(8)} ${r
          .slice(1)
          .map((c) => c.padStart(8))
          .join(' ')}`,
      );
    }
    for (const [name, h] of [
      ['inline', h50],
      ['worker', w50],
    ] as const) {
      console.log(
        `  hybrid (${name}) p50 − vector p50: ${(h - v50).toFixed(2)} ms; ratio ${(h / v50).toFixed(2)}×; goal ≤ +2 ms: ${h - v50 <= 2 ? 'met' : 'NOT met'}`,
      );
    }
    await worker.close();
    await model?.close();
    console.log(
      `  keyword matched something for ${keywordMatched}/${QUERIES} queries; ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? '?'}); load average after: ${load()}`,
    );
  } finally {
    await library.close();
    if (values.dir === undefined) fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
