/**
 * Duplicate scan at scale: a library of N synthetic images (default 100k; 256-d vectors like the
 * bundled model's, 64-bit perceptual hashes), built through the store's public write API, then
 * full three-tier scans timed (exact by SHA-256, one k-NN query per representative through the
 * library's vector index, union-find per tier): from scratch on worker threads (and serially
 * with --serial), linking every image (stored pairs), and over stored pairs.
 *
 *   npx tsx bench/duplicates-scale.ts [--n 100000] [--dim 256] [--keep <dir>] [--build-only]
 *       [--serial] [--workers <n>] [--exact <bench/exact-pairs.ts output>]
 *
 * Build the library once outside the bench lock (--keep <dir> --build-only), then time with
 * --keep <dir> (planted counts print as 0 when the library was built by an earlier run).
 *
 * Data: families of 1–4 items. A family shares a base vector and hash; members are exact copies
 * (same SHA-256), near copies (vector + small noise, a few hash bits flipped) or similar shots
 * (more noise, many bits flipped). Everything else is an unrelated item.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DUPLICATE_THRESHOLDS } from '../src/duplicates/duplicate-thresholds.ts';
import { findDuplicates, findDuplicatesParallel } from '../src/duplicates/find-duplicates.ts';
import type { DuplicateReport } from '../src/duplicates/duplicate.types.ts';
import { linkUnlinkedParallel } from '../src/duplicates/neighbour-links.ts';
import { NeighbourPool } from '../src/duplicates/neighbour-pool.ts';
import type { ExactPairs } from './exact-pairs.ts';
import type { ItemWrite } from '../src/store/library.types.ts';
import { openLibrary } from '../src/store/open-library.ts';
import { mulberry32 } from './duplicate-eval-set.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '256' },
    keep: { type: 'string' },
    'build-only': { type: 'boolean', default: false },
    serial: { type: 'boolean', default: false },
    workers: { type: 'string' },
    exact: { type: 'string' },
  },
});
const N = Number(values.n);
const DIM = Number(values.dim);
const rand = mulberry32(42);
const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
}
function randomVector(): Float32Array {
  return unit(Float32Array.from({ length: DIM }, gauss));
}
function jitter(v: Float32Array, sigma: number): Float32Array {
  return unit(v.map((x) => x + (gauss() * sigma) / Math.sqrt(DIM)));
}
function randomHash(): string {
  return Array.from({ length: 16 }, () => Math.floor(rand() * 16).toString(16)).join('');
}
function flip(hash: string, bits: number): string {
  const b = hash.split('').map((c) => parseInt(c, 16));
  for (let i = 0; i < bits; i++) {
    const k = Math.floor(rand() * 64);
    b[k >> 2]! ^= 8 >> (k & 3);
  }
  return b.map((x) => x.toString(16)).join('');
}

const work = values.keep ?? (await mkdtemp(path.join(os.tmpdir(), 'clipdex-dup-scale-')));
try {
  const fingerprint = {
    id: 'bench-dup-scale',
    name: 'bench',
    layout: 'huggingface' as const,
    dim: DIM,
    files: {},
    preprocess: {
      width: 64,
      height: 64,
      resizeMode: 'shortest' as const,
      mean: [0.5, 0.5, 0.5] as const,
      std: [0.5, 0.5, 0.5] as const,
      interpolation: 'bicubic' as const,
      rescaleFactor: 1 / 255,
    },
  };
  const exists = await stat(path.join(work, 'library', 'clipdex.db')).then(
    () => true,
    () => false,
  );
  const library = await openLibrary(path.join(work, 'library'), { fingerprint });
  const root = library.ensureRoot(path.join(work, 'photos'));
  const t0 = performance.now();
  let made = 0;
  let family = 0;
  const planted = { exact: 0, near: 0, similar: 0 };
  let batch: ItemWrite[] = [];
  const push = (w: Omit<ItemWrite, 'kind' | 'rootId' | 'uri' | 'status'>): void => {
    batch.push({
      kind: 'image',
      rootId: root.id,
      uri: `p/${made}.jpg`,
      status: 'indexed',
      width: 4000,
      height: 3000,
      size: 2_000_000 + made,
      format: 'jpeg',
      mtimeMs: 1_600_000_000_000 + made,
      ...w,
    });
    made++;
    if (batch.length === 2000) {
      library.write({ items: batch });
      batch = [];
    }
  };
  while (!exists && made < N) {
    const base = randomVector();
    const hash = randomHash();
    const sha = `f${family++}`;
    push({ vector: base, phash: hash, contentHash: sha });
    const r = rand();
    if (r < 0.1 && made < N) {
      push({ vector: base, phash: hash, contentHash: sha });
      planted.exact++;
    }
    if (r < 0.25 && made < N) {
      push({ vector: jitter(base, 0.15), phash: flip(hash, 3), contentHash: `${sha}-n` });
      planted.near++;
    }
    if (r > 0.9 && made < N) {
      push({ vector: jitter(base, 0.3), phash: flip(hash, 40), contentHash: `${sha}-s` });
      planted.similar++;
    }
  }
  if (batch.length) library.write({ items: batch });
  await library.checkpoint();
  await library.close();
  const buildS = (performance.now() - t0) / 1000;
  if (values['build-only']) {
    console.log(
      `built ${made} items in ${buildS.toFixed(1)} s at ${work}; planted ${JSON.stringify(planted)}`,
    );
    process.exit(0);
  }

  // Measurements (the goal is the from-scratch scan: nothing stored, every image queried):
  //   serial   — findDuplicates on the calling thread (session 3's definition), with --serial;
  //   parallel — findDuplicatesParallel: the same queries on one worker per core; its candidate
  //              pairs are compared with exact pairs (bench/exact-pairs.ts, --exact) for recall;
  //   link     — linkUnlinkedParallel: the same queries, stored (the first scan of an old library);
  //   again    — findDuplicates over the stored pairs (what every later scan costs).
  const lib = await openLibrary(path.join(work, 'library'), { create: false });
  const pool = new NeighbourPool(lib.dir, values.workers ? { workers: Number(values.workers) } : {});
  try {
    lib.storeNeighbours({ floor: -1, k: 1, ef: 1 }, []); // drop pairs a previous run stored
    const count = (r: DuplicateReport, tier: string): number =>
      r.groups.filter((g) => g.tier === tier).length;
    const timed = async <T>(fn: () => T | Promise<T>) => {
      const load = os.loadavg()[0]!;
      const t = performance.now();
      const c = process.cpuUsage(); // the whole process: worker threads included
      const value = await fn();
      const used = process.cpuUsage(c);
      const wallS = (performance.now() - t) / 1000;
      const cpuS = (used.user + used.system) / 1e6;
      const text = `${wallS.toFixed(1)} s wall, ${cpuS.toFixed(1)} CPU-s, ${(cpuS / wallS).toFixed(2)} cores busy (load ${load.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)})`;
      return { value, wallS, cpuS, text };
    };
    const tiers = (r: DuplicateReport): string =>
      `exact ${count(r, 'exact')} groups (planted ${planted.exact}), near ${count(r, 'near')} (planted ${planted.near}), similar ${count(r, 'similar')} (planted ${planted.similar})`;
    console.log(
      `${N} items, ${DIM}-d: library built in ${buildS.toFixed(1)} s (not part of the scan); ${os.availableParallelism()} cores, ${pool.workers} workers, node ${process.version}`,
    );
    console.log(
      `segments: ${JSON.stringify(
        lib
          .info()
          .kinds.find((k) => k.kind === 'image')!
          .segments.map((s) => s.count),
      )}`,
    );
    if (values.serial) {
      const serial = await timed(() => findDuplicates(lib, DEFAULT_DUPLICATE_THRESHOLDS));
      console.log(
        `scan from scratch, serial: ${serial.text}, ${serial.value.knnQueries} k-NN queries → ${tiers(serial.value)}`,
      );
    }
    const pairs = new Set<string>();
    const hashOf = new Map<number, string>();
    const scan = await timed(() =>
      findDuplicatesParallel(lib, DEFAULT_DUPLICATE_THRESHOLDS, pool, undefined, {
        onPair: (a, b) => pairs.add(`${a},${b}`),
      }),
    );
    console.log(
      `scan from scratch, ${pool.workers} workers: ${scan.text}, ${scan.value.knnQueries} k-NN queries → ${tiers(scan.value)}; goal: under 60 s wall`,
    );
    if (values.exact) {
      const exact = JSON.parse(await readFile(values.exact, 'utf8')) as ExactPairs;
      for (let after = 0; ;) {
        const page = lib.imageSignatures(after, 5000);
        for (const s of page) hashOf.set(s.id, s.contentHash ?? `id${s.id}`);
        if (page.length < 5000) break;
        after = page[page.length - 1]!.id;
      }
      const found = new Set<string>();
      for (const key of pairs) {
        const [a, b] = key.split(',').map(Number) as [number, number];
        if (a > exact.maxId || b > exact.maxId) continue;
        const ha = hashOf.get(a)!;
        const hb = hashOf.get(b)!;
        found.add(ha < hb ? `${ha}|${hb}` : `${hb}|${ha}`);
      }
      const hit = exact.pairs.filter((p) => found.has(p)).length;
      console.log(
        `pair recall vs an exact scan of the first ${exact.n} images (ids ≤ ${exact.maxId}, cosine ≥ ${exact.floor}): ${hit}/${exact.pairs.length} = ${(hit / exact.pairs.length).toFixed(4)}; pairs the exact scan lacks: ${[...found].filter((p) => !exact.pairs.includes(p)).length}`,
      );
    }
    const link = await timed(() => linkUnlinkedParallel(lib, pool));
    console.log(`link all (stored pairs), ${pool.workers} workers: ${link.text}, ${link.value} queries`);
    const again = await timed(() => findDuplicates(lib, DEFAULT_DUPLICATE_THRESHOLDS));
    console.log(
      `scan over stored pairs: ${again.text}, ${again.value.knnQueries} k-NN queries → ${tiers(again.value)}`,
    );
  } finally {
    await pool.close();
    await lib.close();
  }
} finally {
  if (!values.keep) await rm(work, { recursive: true, force: true });
}
