/**
 * The library store at scale: today's segments (tail + sealed HNSW segments) against the old
 * design (one HNSW graph per modality, rewritten and hashed whole at every checkpoint; its code
 * is kept in bench/baseline/), on synthetic clustered 512-d vectors like bench/vectors.ts.
 *
 *   npx tsx bench/store-scale.ts [--n 200000] [--add 10000] [--dim 512] [--clusters 1000] [--bulk]
 *                                [--generator gaussian|lowrank|real-images|real-images-i2i|real-texts]
 *                                [--queries 100] [--skip-old] [--skip-rebuild] [--dir <tmp>]
 *                                [--efs 32,64,96,128] [--sqlite-cost]
 *
 * New design, through the store's own write path: ingest N vectors (batches of 2000, a
 * checkpoint every 20k as the indexer's 30 s timer would), wait for merges; then add `add` more
 * and checkpoint: bytes this process wrote meanwhile (/proc/self/io wchar: SQLite + segment
 * files) and the bytes of new segment files. Then, in a fresh child process: open time, RSS,
 * query p50/p99 and recall@10 against exact search at the default settings. Rebuild
 * (`library compact`) with one worker and with one per core. Old design: the same N vectors
 * added to one HnswIndex (its ingest cost: the graph side, one thread), the same `add` more, then
 * one checkpoint exactly as the old store did it (write, fsync, sha256 of the whole file),
 * its open (sha256 of the whole file, then load) and queries in a child.
 * CPU seconds are process-wide (worker threads included); on a shared machine wall clock also
 * counts other programs. `--sqlite-cost` also writes the N vectors to a library whose segments
 * never seal (no graph work at all), to split the ingest CPU into SQLite and graph parts. `--efs` adds a recall/latency curve over those ef values (new design).
 * `--bulk` seals all N once at the end instead (one insertion per vector: a big library for the
 * probes below at half the ingest CPU; its layout is compact's: chunks of at most --max-segment).
 * `--generator lowrank` draws data whose local intrinsic dimensionality matches real embeddings
 * (bench/intrinsic-dim.ts); the default `gaussian` is the data of every earlier run.
 * Reuse a kept run (`--dir`): `--probe opens --dir <dir>/new [--opens 5] [--per-segment]` opens
 * it in fresh processes (open phases, open + first query) then probes recall and latency
 * (`--open-only`: opens alone);
 * `--reader mapped|hnswlib|both` picks how sealed segments are opened (default mapped: clipdex's
 * addon maps them; hnswlib: hnswlib-node's readIndex, the reader before the addon); `both` with
 * `--probe opens` alternates the two in fresh processes and prints them side by side.
 * `--search-threads N` caps the threads one query walks the segments on (default one per core).
 * `--probe new --dir <dir>/new` runs the query probe alone; `--probe lists --dir <dir>/new` adds
 * label lists to a library sealed before they existed (a writer open, merges off);
 * `--probe rebuild --dir <dir>/new` only the rebuilds (they change the segment layout).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openLibrary } from '../src/store/open-library.ts';
import { DEFAULT_HNSW } from '../src/store/meta.repository.ts';
import { HnswIndex } from '../src/vector/hnsw-index.ts';
import type { ModelFingerprint } from '../src/common/model-fingerprint.ts';
import type { OpenTimings } from '../src/store/vector-segments.ts';
import { loadGraph, saveGraph } from './baseline/hnsw-checkpoint.ts';
import { GENERATORS, makeGenerator, type GeneratorName } from './generators.ts';
import { embeddingGenerator } from './embedding-set.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200000' },
    add: { type: 'string', default: '10000' },
    dim: { type: 'string', default: '512' },
    clusters: { type: 'string', default: '1000' },
    queries: { type: 'string', default: '100' },
    'skip-old': { type: 'boolean', default: false },
    'skip-rebuild': { type: 'boolean', default: false },
    dir: { type: 'string' },
    probe: { type: 'string' },
    efs: { type: 'string', default: '' },
    'sqlite-cost': { type: 'boolean', default: false },
    bulk: { type: 'boolean', default: false },
    generator: { type: 'string', default: 'gaussian' },
    opens: { type: 'string', default: '1' },
    'per-segment': { type: 'boolean', default: false },
    'open-only': { type: 'boolean', default: false },
    'max-segment': { type: 'string' },
    reader: { type: 'string', default: 'mapped' },
    'search-threads': { type: 'string' },
  },
});
const READERS = ['mapped', 'hnswlib', 'both'];
if (!READERS.includes(values.reader)) throw new Error(`--reader must be one of ${READERS.join(', ')}`);
const N = Number(values.n);
const ADD = Number(values.add);
// Cached embeddings of the bundled model (bench/embedding-set.ts; undefined for gaussian and
// lowrank): their dimension wins over --dim.
const embedded = embeddingGenerator(values.generator);
const DIM = embedded?.dim ?? Number(values.dim);
const CLUSTERS = Number(values.clusters);
const QUERIES = Number(values.queries);
const K = 10;
const SELF = fileURLToPath(import.meta.url);
const EFS = values.efs ? values.efs.split(',').map(Number) : [];
if (!embedded && !GENERATORS.includes(values.generator as GeneratorName)) {
  throw new Error(`--generator must be one of ${GENERATORS.join(', ')}, real-images[-i2i], real-texts`);
}
// gaussian is the data of every earlier run (same seeds); lowrank matches real embeddings' LID.
const generator =
  embedded ?? makeGenerator(values.generator as GeneratorName, { dim: DIM, clusters: CLUSTERS });
const sample = (count: number, seed: number): Float32Array => generator.sample(count, seed);
const row = (data: Float32Array, p: number): Float32Array => data.subarray(p * DIM, (p + 1) * DIM);

function exactTopK(data: Float32Array, count: number, query: Float32Array): number[] {
  const best: { id: number; score: number }[] = [];
  for (let p = 0; p < count; p++) {
    let s = 0;
    const base = p * DIM;
    for (let i = 0; i < DIM; i++) s += data[base + i]! * query[i]!;
    if (best.length < K || s > best[best.length - 1]!.score) {
      best.push({ id: p + 1, score: s }); // item ids are 1-based
      best.sort((a, b) => b.score - a.score);
      if (best.length > K) best.pop();
    }
  }
  return best.map((b) => b.id);
}

function wchar(): number {
  try {
    return Number(/^wchar:\s+(\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}
function duBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? duBytes(p) : fs.statSync(p).size;
  }
  return total;
}
function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function fingerprint(): ModelFingerprint {
  return {
    id: 'bench-store-scale',
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

interface Probe {
  openMs: number;
  /** The first query after open (what a user waits for beyond `openMs`). */
  firstQueryMs: number;
  timings?: OpenTimings;
  perSegment?: {
    file: string;
    count: number;
    truth: number;
    found: Record<number, number>;
    /** p50 ms of this segment's search alone (raw HnswIndex, no store), per ef. */
    p50: Record<number, number>;
  }[];
  rssBytes: number;
  p50: number;
  p99: number;
  recall: number;
  segments?: number;
  curve?: { ef: number; p50: number; p99: number; recall: number }[];
}

/** Child side: open, then time the queries; prints one JSON line. */
async function probe(kind: 'new' | 'old', dir: string): Promise<void> {
  const queries = sample(QUERIES, 3);
  const truth = JSON.parse(fs.readFileSync(path.join(dir, '..', 'truth.json'), 'utf8')) as number[][];
  const started = performance.now();
  let search: (q: Float32Array, ef?: number) => number[];
  let close = (): Promise<void> => Promise.resolve();
  let segments: number | undefined;
  let timings: OpenTimings | undefined;
  let files: { file: string; count: number }[] = [];
  let describeLayout = (): void => undefined;
  if (kind === 'new') {
    const library = await openLibrary(dir, {
      readOnly: true,
      segments: {
        ...(values.reader === 'hnswlib' ? { mapped: false } : {}),
        ...(values['search-threads'] ? { searchThreads: Number(values['search-threads']) } : {}),
      },
    });
    search = (q, ef) => library.search('image', q, { k: K, ...(ef ? { ef } : {}) }).map((h) => h.id);
    close = () => library.close();
    // After the open is timed: info() counts rows in SQLite.
    describeLayout = () => {
      segments = library.info().kinds[0]!.segments.length;
      files = library.info().kinds[0]!.segments.map((s) => ({ file: s.file, count: s.count }));
    };
    timings = library.openTimings;
  } else {
    const loaded = await loadGraph(dir, 'image', {
      libraryId: 'old',
      modelId: 'bench-store-scale',
      dim: DIM,
    });
    if (!loaded.ok) throw new Error(loaded.reason);
    search = (q, ef) => loaded.index.search(q, K, ef ?? DEFAULT_HNSW.efSearch).map((h) => h.label);
  }
  const openMs = performance.now() - started;
  search(row(queries, 0));
  const firstQueryMs = performance.now() - started - openMs;
  describeLayout();
  if (values['open-only']) {
    await close();
    process.stdout.write(`${JSON.stringify({ openMs, firstQueryMs, timings, segments })}\n`);
    return;
  }
  const measure = (ef?: number): { p50: number; p99: number; recall: number } => {
    const latencies: number[] = [];
    let found = 0;
    for (let round = 0; round < 2; round++) {
      for (let q = 0; q < QUERIES; q++) {
        const t = performance.now();
        const ids = search(row(queries, q), ef);
        if (round === 1) latencies.push(performance.now() - t); // first round warms up
        if (round === 1) found += ids.filter((id) => truth[q]!.includes(id)).length;
      }
    }
    return {
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      recall: found / (QUERIES * K),
    };
  };
  const rssBytes = process.memoryUsage().rss;
  const result: Probe = {
    openMs,
    firstQueryMs,
    ...(timings ? { timings } : {}),
    rssBytes,
    ...measure(),
    ...(segments === undefined ? {} : { segments }),
    ...(EFS.length > 0 ? { curve: EFS.map((ef) => ({ ef, ...measure(ef) })) } : {}),
  };
  await close();
  if (values['per-segment'] && kind === 'new') {
    result.perSegment = await perSegment(dir, files, queries, truth);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * Where recall is lost: each segment loaded alone and searched for its own top-k at several ef;
 * of the true top-k (over the whole library) that the segment holds, how many it finds.
 */
async function perSegment(
  dir: string,
  files: { file: string; count: number }[],
  queries: Float32Array,
  truth: number[][],
): Promise<NonNullable<Probe['perSegment']>> {
  const out: NonNullable<Probe['perSegment']> = [];
  for (const { file, count } of files) {
    const index = await HnswIndex.load(path.join(dir, 'segments', file), DIM, []);
    let held = 0;
    const found: Record<number, number> = {};
    const p50: Record<number, number> = {};
    for (let q = 0; q < QUERIES; q++) held += truth[q]!.filter((id) => index.has(id)).length;
    for (const ef of [24, 32, 48, 96, 192, 384]) {
      let n = 0;
      const latencies: number[] = [];
      for (let q = 0; q < QUERIES; q++) index.search(row(queries, q), K, ef); // warm-up
      for (let q = 0; q < QUERIES; q++) {
        const t = performance.now();
        const hits = index.search(row(queries, q), K, ef).map((h) => h.label);
        latencies.push(performance.now() - t);
        n += truth[q]!.filter((id) => hits.includes(id)).length;
      }
      found[ef] = n;
      p50[ef] = percentile(latencies, 0.5);
    }
    out.push({ file, count, truth: held, found, p50 });
  }
  return out;
}

function runProbe(kind: 'new' | 'old', dir: string, extra: string[] = []): Probe {
  const out = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      SELF,
      ...extra,
      '--generator',
      values.generator,
      '--probe',
      kind,
      '--dir',
      dir,
      '--dim',
      String(DIM),
      '--clusters',
      String(CLUSTERS),
      '--queries',
      String(QUERIES),
      '--efs',
      EFS.join(','),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (out.status !== 0) throw new Error(`probe ${kind} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as Probe;
}

async function main(): Promise<void> {
  const base = values.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'clipdex-store-scale-'));
  fs.mkdirSync(base, { recursive: true });
  const newDir = path.join(base, 'new');
  const oldDir = path.join(base, 'old');
  const data = sample(N + ADD, 2);
  const queries = sample(QUERIES, 3);
  console.log(
    `clipdex bench/store-scale: N=${N} (+${ADD}) × ${DIM}-d, ${generator.description}, ${QUERIES} queries, k=${K}, ${os.availableParallelism()} CPUs, load ${loadavg()}`,
  );
  let t = performance.now();
  const truth = Array.from({ length: QUERIES }, (_, q) => exactTopK(data, N + ADD, row(queries, q)));
  fs.writeFileSync(path.join(base, 'truth.json'), JSON.stringify(truth));
  console.log(`  exact ground truth: ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const writeRange = (
    library: Awaited<ReturnType<typeof openLibrary>>,
    rootId: number,
    from: number,
    to: number,
  ): void => {
    const items = [];
    for (let p = from; p < to; p++) {
      items.push({
        kind: 'image' as const,
        rootId,
        uri: `p/${p}.jpg`,
        status: 'indexed' as const,
        vector: row(data, p),
      });
    }
    library.write({ items });
  };

  // --- new design ---
  const table: Record<string, [string, string?]> = {};
  let sqliteCpu = NaN;
  if (values['sqlite-cost']) {
    const sqliteDir = path.join(base, 'sqlite-only');
    const only = await openLibrary(sqliteDir, {
      fingerprint: fingerprint(),
      segments: { merge: false, tailLimit: Number.MAX_SAFE_INTEGER },
    });
    const onlyRoot = only.ensureRoot(path.join(sqliteDir, 'media')).id;
    const cpu0 = process.cpuUsage();
    for (let p = 0; p < N; p += 2000) writeRange(only, onlyRoot, p, Math.min(N, p + 2000));
    sqliteCpu = cpuSeconds(cpu0);
    console.log(`  SQLite write path alone (no graph work): ${sqliteCpu.toFixed(1)} CPU-s for ${N} vectors`);
    // Not closed: closing would seal the whole tail. The directory is simply dropped.
    fs.rmSync(sqliteDir, { recursive: true, force: true });
  }
  const setOld = (metric: string, value: string): void => {
    table[metric] = [table[metric]?.[0] ?? '', value];
  };
  // Each seal/merge step with its time, the bytes written so far and the segments then.
  const events: { event: string; at: number; wchar: number; files: Map<string, number> }[] = [];
  const current: { library?: Awaited<ReturnType<typeof openLibrary>> } = {};
  // --bulk: one seal of all N at the end (split into parallel builds of at most maxSegment, as compact
  // does): each vector is inserted once, so a 1M library costs about half the CPU of the
  // indexer-like path (20k seals merged in the background). The layout is compact's.
  const library = await openLibrary(newDir, {
    fingerprint: fingerprint(),
    segments: {
      ...(values.bulk ? { merge: false, tailLimit: Number.MAX_SAFE_INTEGER } : {}),
      ...(values['max-segment'] ? { maxSegment: Number(values['max-segment']) } : {}),
      onEvent: (event) =>
        events.push({
          event,
          at: performance.now(),
          wchar: wchar(),
          files: new Map(current.library?.info().kinds[0]!.segments.map((s) => [s.file, s.bytes]) ?? []),
        }),
    },
  });
  current.library = library;
  const rootId = library.ensureRoot(path.join(newDir, 'media')).id;
  let cpu = process.cpuUsage();
  t = performance.now();
  for (let p = 0; p < N; p += 2000) {
    writeRange(library, rootId, p, Math.min(N, p + 2000));
    if ((p / 2000) % 10 === 9 && !values.bulk) await library.checkpoint();
  }
  await library.checkpoint();
  await library.idle();
  const ingestWall = (performance.now() - t) / 1000;
  const ingestCpu = cpuSeconds(cpu);
  const graphBytesBefore = library.info().kinds[0]!.bytes;
  const segmentsBefore = new Set(library.info().kinds[0]!.segments.map((s) => s.file));
  console.log(
    `  new: ingest ${ingestWall.toFixed(1)} s wall, ${ingestCpu.toFixed(1)} CPU-s; ${library.info().kinds[0]!.segments.length} segments, ${mb(graphBytesBefore)}`,
  );
  let w = wchar();
  for (let p = N; p < N + ADD; p += 2000) writeRange(library, rootId, p, Math.min(N + ADD, p + 2000));
  const sqliteBytes = wchar() - w;
  events.length = 0;
  w = wchar();
  t = performance.now();
  await library.checkpoint(); // returns at once: the seal runs in the background
  const checkpointMs = performance.now() - t;
  await library.idle();
  // The +add seal is durable when a manifest naming its segment is saved.
  const builtAt = events.findIndex((e) => e.event === 'seal-built');
  const saved = events.slice(builtAt).find((e) => e.event === 'manifest-saved')!;
  const durableMs = saved.at - t;
  const addBytes = saved.wchar - w;
  const newSegmentBytes = [...saved.files]
    .filter(([file]) => !segmentsBefore.has(file))
    .reduce((n, [, bytes]) => n + bytes, 0);
  const merged = events.filter((e) => e.event === 'merge-start').length;
  const info = library.info().kinds[0]!;
  await library.close();
  const newProbe = runProbe('new', newDir);
  const diskNew = duBytes(newDir);
  let rebuild1 = NaN;
  let rebuildAll = NaN;
  if (!values['skip-rebuild']) [rebuild1, rebuildAll] = await rebuild(newDir);
  const graphBytesAfter = info.bytes;
  table['+add writes: SQLite rows (wchar)'] = [mb(sqliteBytes), ''];
  table['+add checkpoint: bytes written (all files)'] = [
    `${mb(addBytes)} (${((100 * addBytes) / graphBytesAfter).toFixed(2)}% of graph)`,
    '',
  ];
  table['+add checkpoint: new graph bytes'] = [
    `${mb(newSegmentBytes)} (${((100 * newSegmentBytes) / graphBytesAfter).toFixed(2)}%)`,
    '',
  ];
  table['+add checkpoint: wall (caller waits)'] = [`${(checkpointMs / 1000).toFixed(3)} s`, ''];
  table['+add checkpoint: until segment durable'] = [
    `${(durableMs / 1000).toFixed(2)} s (background)${merged ? `; ${merged} merge(s) after` : ''}`,
    '',
  ];
  table['open'] = [`${newProbe.openMs.toFixed(0)} ms`, ''];
  table[`query p50 / p99 (ef ${DEFAULT_HNSW.efSearch})`] = [
    `${newProbe.p50.toFixed(2)} / ${newProbe.p99.toFixed(2)} ms`,
    '',
  ];
  table['recall@10'] = [`${newProbe.recall.toFixed(3)} (${newProbe.segments} segments)`, ''];
  table['RSS after open + queries'] = [mb(newProbe.rssBytes), ''];
  table['disk bytes per item'] = [`${Math.round(diskNew / (N + ADD))}`, ''];
  table['ingest vectors per CPU-second'] = [
    `${Math.round(N / ingestCpu)}${
      Number.isNaN(sqliteCpu) ? '' : `; graph side ${Math.round(N / (ingestCpu - sqliteCpu))}`
    }`,
    '',
  ];
  table['rebuild 1 core / all cores'] = [`${rebuild1.toFixed(1)} s / ${rebuildAll.toFixed(1)} s`, ''];

  // --- old design (graph side) ---
  if (!values['skip-old']) {
    fs.mkdirSync(oldDir, { recursive: true });
    const identity = { libraryId: 'old', modelId: 'bench-store-scale', dim: DIM };
    const index = HnswIndex.create({
      dim: DIM,
      m: DEFAULT_HNSW.m,
      efConstruction: DEFAULT_HNSW.efConstruction,
      capacity: N + ADD,
    });
    cpu = process.cpuUsage();
    t = performance.now();
    for (let p = 0; p < N; p++) index.add(p + 1, row(data, p));
    const oldBuild = (performance.now() - t) / 1000;
    const oldCpu = cpuSeconds(cpu);
    await saveGraph(oldDir, 'image', index, N, identity);
    for (let p = N; p < N + ADD; p++) index.add(p + 1, row(data, p));
    w = wchar();
    t = performance.now();
    await saveGraph(oldDir, 'image', index, N + ADD, identity);
    const oldCheckpointMs = performance.now() - t;
    const oldBytes = wchar() - w;
    const oldGraph = fs.statSync(path.join(oldDir, 'image.hnsw')).size;
    const oldProbe = runProbe('old', oldDir);
    const sqlite = diskNew - graphBytesAfter; // the database is the same in both designs
    setOld(
      '+add checkpoint: bytes written (all files)',
      `${mb(oldBytes)} (${((100 * oldBytes) / oldGraph).toFixed(0)}% of graph)`,
    );
    setOld('+add checkpoint: new graph bytes', `${mb(oldGraph)} (100%)`);
    setOld('+add checkpoint: wall (caller waits)', `${(oldCheckpointMs / 1000).toFixed(2)} s`);
    setOld('+add checkpoint: until segment durable', `${(oldCheckpointMs / 1000).toFixed(2)} s`);
    setOld('open', `${oldProbe.openMs.toFixed(0)} ms`);
    setOld(
      `query p50 / p99 (ef ${DEFAULT_HNSW.efSearch})`,
      `${oldProbe.p50.toFixed(2)} / ${oldProbe.p99.toFixed(2)} ms`,
    );
    setOld('recall@10', oldProbe.recall.toFixed(3));
    for (const point of oldProbe.curve ?? []) {
      console.log(
        `  old, ef ${point.ef}: recall@10 ${point.recall.toFixed(3)}, p50 ${point.p50.toFixed(2)} ms, p99 ${point.p99.toFixed(2)} ms`,
      );
    }
    setOld('RSS after open + queries', mb(oldProbe.rssBytes));
    setOld('disk bytes per item', `${Math.round((sqlite + oldGraph) / (N + ADD))}`);
    setOld('ingest vectors per CPU-second', `${Math.round(N / oldCpu)} (graph only)`);
    setOld('rebuild 1 core / all cores', `${oldBuild.toFixed(1)} s / same (one thread)`);
  }
  console.log('');
  console.log(`${'metric'.padEnd(44)}${'segments (new)'.padEnd(34)}one graph (old)`);
  for (const [metric, [now, old]] of Object.entries(table)) {
    console.log(`${metric.padEnd(44)}${now.padEnd(34)}${old ?? ''}`);
  }
  console.log(`  raw vectors: ${mb((N + ADD) * DIM * 4)}; graph after +add: ${mb(graphBytesAfter)}`);
  for (const point of newProbe.curve ?? []) {
    console.log(
      `  new, ef ${point.ef}: recall@10 ${point.recall.toFixed(3)}, p50 ${point.p50.toFixed(2)} ms, p99 ${point.p99.toFixed(2)} ms`,
    );
  }
  console.log(`  load average at the end: ${loadavg()}`);
  if (!values.dir) fs.rmSync(base, { recursive: true, force: true });
}

/**
 * Reuse mode for a kept library (`--probe opens --dir <dir>/new [--opens 5]`): opens it read-only
 * in `opens` fresh processes (open, then one query) and prints each open's phases and the medians;
 * then one full probe (recall, p50/p99, the --efs curve, --per-segment).
 */
function opens(dir: string): void {
  console.log(`store-scale reuse: ${dir}, ${generator.description}, load ${loadavg()}`);
  const readers = values.reader === 'both' ? ['mapped', 'hnswlib'] : [values.reader];
  const byReader = new Map<string, Probe[]>(readers.map((r) => [r, []]));
  for (let i = 0; i < Number(values.opens); i++) {
    // Alternate which reader goes first, so neither always finds the page cache warmer.
    const order = i % 2 === 0 ? readers : [...readers].reverse();
    for (const reader of order) {
      const p = runProbe('new', dir, ['--open-only', '--reader', reader]);
      byReader.get(reader)!.push(p);
      const t = p.timings!;
      console.log(
        `  ${reader}: open ${p.openMs.toFixed(0)} ms (+ first query ${p.firstQueryMs.toFixed(1)} ms): database ${t.database.toFixed(0)}, manifest ${t.manifest.toFixed(1)}, segment loads ${t.loads.toFixed(0)} wall [${t.segments
          .map(
            (s) =>
              `${s.count}: check ${s.check.toFixed(1)} read ${s.read.toFixed(0)} labels ${s.labels.toFixed(0)} (${s.from})`,
          )
          .join(
            '; ',
          )}], install ${t.install.toFixed(0)}, replay ${t.replay.toFixed(1)}, count ${t.count.toFixed(0)}; ${p.segments} segments`,
      );
    }
  }
  const med = (xs: number[]): number => percentile(xs, 0.5);
  const medians = new Map<string, number>();
  for (const [reader, runs] of byReader) {
    const open = med(runs.map((r) => r.openMs));
    medians.set(reader, open);
    console.log(
      `  ${reader}: median open ${open.toFixed(0)} ms, open + first query ${med(runs.map((r) => r.openMs + r.firstQueryMs)).toFixed(0)} ms (${runs.length} processes)`,
    );
  }
  if (medians.size === 2) {
    console.log(`  hnswlib ÷ mapped open: ${(medians.get('hnswlib')! / medians.get('mapped')!).toFixed(2)}×`);
  }
  if (values['open-only']) return;
  const full = runProbe('new', dir, [
    ...(values['per-segment'] ? ['--per-segment'] : []),
    ...(values['search-threads'] ? ['--search-threads', values['search-threads']] : []),
    '--reader',
    values.reader === 'hnswlib' ? 'hnswlib' : 'mapped',
  ]);
  console.log(
    `  recall@10 ${full.recall.toFixed(3)}, p50 ${full.p50.toFixed(2)} ms, p99 ${full.p99.toFixed(2)} ms (ef ${DEFAULT_HNSW.efSearch}), RSS ${mb(full.rssBytes)}`,
  );
  for (const point of full.curve ?? []) {
    console.log(
      `  ef ${point.ef}: recall@10 ${point.recall.toFixed(3)}, p50 ${point.p50.toFixed(2)} ms, p99 ${point.p99.toFixed(2)} ms`,
    );
  }
  for (const s of full.perSegment ?? []) {
    console.log(
      `  segment ${s.file} (${s.count}): holds ${s.truth} true hits; finds ${Object.entries(s.found)
        .map(([ef, n]) => `${n} at ef ${ef} (p50 ${s.p50[Number(ef)]!.toFixed(2)} ms)`)
        .join(', ')}`,
    );
  }
  console.log(`  load average at the end: ${loadavg()}`);
}

/** `library compact` (a rebuild from SQLite) with one worker, then one per core: seconds each. */
async function rebuild(dir: string): Promise<[number, number]> {
  const times: number[] = [];
  for (const workers of [1, os.availableParallelism()]) {
    const lib = await openLibrary(dir, { segments: { workers, merge: false } });
    const cpu = process.cpuUsage();
    const t = performance.now();
    await lib.compact();
    times.push((performance.now() - t) / 1000);
    console.log(
      `  rebuild with ${workers} worker(s): ${times.at(-1)!.toFixed(1)} s wall, ${cpuSeconds(cpu).toFixed(1)} CPU-s, load ${loadavg()}`,
    );
    await lib.close();
  }
  return [times[0]!, times[1]!];
}

if (values.probe === 'new' || values.probe === 'old') await probe(values.probe, values.dir!);
else if (values.probe === 'opens') opens(values.dir!);
else if (values.probe === 'lists') {
  // A writer open adds label lists to segments sealed before they existed (merges off: the
  // layout stays as it is).
  const library = await openLibrary(values.dir!, { segments: { merge: false } });
  await library.close();
  console.log(`label lists added in ${values.dir!}`);
} else if (values.probe === 'rebuild') await rebuild(values.dir!);
else await main();
