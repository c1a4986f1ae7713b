/**
 * bench/serve: what calibrated threads and micro-batching of query encodes buy a loaded server.
 *
 *   npx tsx bench/serve.ts [--model <dir>] [--duration 3] [--runs 3] [--connections 1,8,64] [--images 64] [--threads calibrated|N]
 *
 * First, in process: one text query's encode p50 with the default (calibrated) threads against 1
 * thread, interleaved. Then starts `clipdex serve` three times (separate processes, calibrated
 * threads unless --threads, query cache off)
 * on a library of demo images: micro-batched as served by default (a 3 ms window, used only under
 * load), micro-batched with no window, and one query per encoder run. autocannon then drives
 * text→image searches — every request a different caption — at each concurrency, interleaving the
 * cells (run 1 of every cell, then run 2, …) so load from other processes hits all modes alike.
 * Prints medians over the runs of requests/s and p50/p99 latency, throughput ratios against
 * one-by-one, and the mean encoder batch size from /metrics.
 * Default model: the bundled one (tiny, so HTTP dominates); `--model bench/.data/vit-b32` (made
 * by bench/make-vit-b32.py) shows a real CLIP ViT-B/32-sized text tower.
 */
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import autocannon from 'autocannon';
import os from 'node:os';
import { availableCpus } from '../src/encoders/cpu-topology.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { CalibrationCache } from '../src/model/calibration-cache.ts';
import { loadModel } from '../src/model/load-model.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const CLI = path.join(REPO, 'bin/clipdex.js');
const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    duration: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,8,64' },
    images: { type: 'string', default: '64' },
    threads: { type: 'string', default: 'calibrated' },
  },
});
const CACHE = path.join(REPO, 'bench/.data/cache');
const threadFlags = values.threads === 'calibrated' ? [] : ['--threads', values.threads];
const modelDir = path.resolve(values.model ?? bundledModelDir());
const duration = Number(values.duration);
const levels = values.connections.split(',').map(Number);
const imageCount = Number(values.images);
const runs = Number(values.runs);

interface Row {
  readonly image: string;
  readonly captions: string[];
}

/** Changes whenever the model's files do, so a rebuilt model gets a fresh library. */
async function modelStamp(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const st = await stat(full);
        hash.update(`${full}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  await walk(modelDir);
  return hash.digest('hex').slice(0, 10);
}

/** A library of the first N demo images, built once per model with the real indexer. */
async function ensureLibrary(): Promise<{ dir: string; queries: string[] }> {
  const demo = path.join(REPO, 'fixtures/demo');
  const rows = (await readFile(path.join(demo, 'captions.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row);
  const queries = [...new Set(rows.flatMap((r) => r.captions))];
  const dir = path.join(
    REPO,
    'bench/.data',
    `serve-${path.basename(modelDir)}-${await modelStamp()}-${imageCount}`,
  );
  const library = path.join(dir, 'library');
  if (
    await stat(path.join(library, 'clipdex.db')).then(
      () => true,
      () => false,
    )
  ) {
    return { dir: library, queries };
  }
  const corpus = path.join(dir, 'corpus');
  await mkdir(path.join(corpus, 'images'), { recursive: true });
  const chosen = rows.filter((r, i) => rows.findIndex((x) => x.image === r.image) === i).slice(0, imageCount);
  for (const r of chosen) await copyFile(path.join(demo, r.image), path.join(corpus, r.image));
  await writeFile(path.join(corpus, 'captions.jsonl'), chosen.map((r) => JSON.stringify(r)).join('\n'));
  process.stderr.write(`indexing ${chosen.length} demo images with ${path.basename(modelDir)}…\n`);
  await promisify(execFile)(
    process.execPath,
    [
      CLI,
      'index',
      path.join(corpus, 'images'),
      '--captions',
      path.join(corpus, 'captions.jsonl'),
      '--library',
      library,
      '--model',
      modelDir,
      '--threads',
      '1',
      '--json',
    ],
    { maxBuffer: 1 << 24 },
  );
  return { dir: library, queries };
}

interface Mode {
  readonly name: string;
  readonly flags: readonly string[];
}
const MODES: readonly Mode[] = [
  { name: 'batched', flags: ['--batch-window-ms', '3'] },
  { name: 'batched-0ms', flags: ['--batch-window-ms', '0'] },
  { name: 'one-by-one', flags: ['--no-batching'] },
];

async function startServer(library: string, mode: Mode) {
  // The query cache is off: every request must pay for its encode, or repeats would flatter all modes.
  const args = [
    CLI,
    'serve',
    '--library',
    library,
    '--model',
    modelDir,
    '--port',
    '0',
    ...threadFlags,
    '--query-cache',
    '0',
    ...mode.flags,
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLIPDEX_CACHE: CACHE },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /open (http:\/\/[^ ]+\/)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`server exited (${code}): ${out}`));
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

async function batchStats(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}metrics`)).text();
  const read = (name: string) =>
    Number(new RegExp(`clipdex_encode_batch_size_${name}\\{tower="text"\\} ([\\d.]+)`).exec(text)?.[1] ?? 0);
  return { sum: read('sum'), count: read('count') };
}

interface Result {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly meanBatch: number;
}

async function load(url: string, queries: string[], connections: number, seconds: number): Promise<Result> {
  let next = Math.floor(Math.random() * queries.length);
  const before = await batchStats(url);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({
          ...req,
          path: `/api/search?k=10&q=${encodeURIComponent(queries[next++ % queries.length]!)}`,
        }),
      },
    ],
  });
  const after = await batchStats(url);
  const batches = after.count - before.count;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    meanBatch: batches > 0 ? (after.sum - before.sum) / batches : 1,
  };
}

const { dir, queries } = await ensureLibrary();

/**
 * One text query's encode latency, interleaved: defaults (calibrated threads), 1 thread with the
 * same code (padding trimmed to the query), and 1 thread padded to the full sequence length (how
 * clipdex encoded queries before trimming).
 */
async function queryEncode(): Promise<{
  calibrated: number;
  one: number;
  onePadded: number;
  threads: string;
}> {
  const calibrated = await loadModel(modelDir, {
    device: 'cpu',
    calibration: { cache: new CalibrationCache(path.join(CACHE, 'models')) },
  });
  const one = await loadModel(modelDir, { device: 'cpu', threads: 1 });
  const onePadded = await loadModel(modelDir, { device: 'cpu', threads: 1, textPadding: 'full' });
  const times = { calibrated: [] as number[], one: [] as number[], onePadded: [] as number[] };
  try {
    for (let i = 0; i < 300; i++) {
      for (const [key, model] of [
        ['calibrated', calibrated],
        ['one', one],
        ['onePadded', onePadded],
      ] as const) {
        const t = performance.now();
        await model.text.encodeOne(queries[i % queries.length]!);
        if (i >= 20) times[key].push(performance.now() - t);
      }
    }
  } finally {
    await calibrated.close();
    await one.close();
    await onePadded.close();
  }
  const m = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const t = calibrated.details.threads.text;
  return {
    calibrated: m(times.calibrated),
    one: m(times.one),
    onePadded: m(times.onePadded),
    threads: `${t.threads} (${t.source}: ${t.reason})`,
  };
}
const encode = await queryEncode();
const servers = await Promise.all(MODES.map((mode) => startServer(dir, mode)));
const samples = new Map<string, Result[]>();
try {
  for (const server of servers) await load(server.url, queries, 8, 2); // warm-up: JIT, ONNX arenas, SQLite cache
  for (let run = 1; run <= runs; run++) {
    for (const c of levels) {
      for (const [i, mode] of MODES.entries()) {
        const r = await load(servers[i]!.url, queries, c, duration);
        const key = `${mode.name}:${c}`;
        samples.set(key, [...(samples.get(key) ?? []), r]);
        process.stderr.write(
          `  run ${run} ${mode.name.padEnd(11)} c=${c}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, batch ${r.meanBatch.toFixed(1)}\n`,
        );
      }
    }
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const results = new Map<string, Result>(
  [...samples].map(([key, rs]) => [
    key,
    {
      rps: median(rs.map((r) => r.rps)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      errors: rs.reduce((n, r) => n + r.errors, 0),
      meanBatch: median(rs.map((r) => r.meanBatch)),
    },
  ]),
);

console.log(
  `\nbench/serve — ${availableCpus()} CPU(s) available (${os.cpus()[0]?.model ?? '?'}); model ${path.basename(modelDir)}`,
);
console.log(
  `text-query encode p50: ${encode.calibrated.toFixed(2)} ms with the default threads (text tower ${encode.threads}), ` +
    `${encode.one.toFixed(2)} ms with 1 thread: ${(encode.calibrated / encode.one).toFixed(2)}× (goal ≤ 0.6 where a second thread helps)`,
);
console.log(
  `  against 1 thread padded to the full sequence (before trimming): ${encode.onePadded.toFixed(2)} ms, ` +
    `${(encode.calibrated / encode.onePadded).toFixed(2)}× (the looser reading of the same goal)`,
);
console.log(
  `text→image GET /api/search, medians of ${runs} × ${duration}s per cell, ONNX threads: ${values.threads}`,
);
const cell = (r: Result) =>
  `${r.rps.toFixed(0).padStart(6)} ${String(r.p50).padStart(4)} ${String(r.p99).padStart(4)} ${r.meanBatch.toFixed(1).padStart(5)}`;
console.log(
  `clients | ${MODES.map((m) => `${m.name}: req/s  p50  p99 batch`.padStart(29)).join(' | ')} | ratio vs one-by-one`,
);
for (const c of levels) {
  const [b, w, u] = MODES.map((m) => results.get(`${m.name}:${c}`)!);
  const errors = MODES.map((m) => results.get(`${m.name}:${c}`)!.errors);
  console.log(
    `${String(c).padStart(7)} | ${[b!, w!, u!].map((r) => cell(r).padStart(29)).join(' | ')} | ` +
      `${(b!.rps / u!.rps).toFixed(2)}× / ${(w!.rps / u!.rps).toFixed(2)}×` +
      (errors.some((e) => e > 0) ? `  (errors: ${errors.join(' / ')})` : ''),
  );
}
console.log('latencies in ms; batch = mean queries per text-encoder run');
const top = Math.max(...levels);
const lo = Math.min(...levels);
const hi = results.get(`batched:${top}`);
const low = results.get(`batched:${lo}`);
if (hi && low && top !== lo) {
  console.log(
    `throughput ${top} clients ÷ ${lo} client${lo === 1 ? '' : 's'}, micro-batched: ${(hi.rps / low.rps).toFixed(2)}× (goal ≥ 1.5)`,
  );
}
