/**
 * Duplicate scan at scale: a library of N synthetic images (default 100k; 256-d vectors like the
 * bundled model's, 64-bit perceptual hashes), built through the store's public write API, then
 * one full three-tier scan timed (`findDuplicates`: exact by SHA-256, one k-NN query per
 * representative through the library's vector index, union-find per tier).
 *
 *   npx tsx bench/duplicates-scale.ts [--n 100000] [--dim 256] [--keep <dir>]
 *
 * Data: families of 1–4 items. A family shares a base vector and hash; members are exact copies
 * (same SHA-256), near copies (vector + small noise, a few hash bits flipped) or similar shots
 * (more noise, many bits flipped). Everything else is an unrelated item.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DUPLICATE_THRESHOLDS } from '../src/duplicates/duplicate-thresholds.ts';
import { findDuplicates } from '../src/duplicates/find-duplicates.ts';
import type { DuplicateReport } from '../src/duplicates/duplicate.types.ts';
import { linkUnlinked } from '../src/duplicates/neighbour-links.ts';
import type { ItemWrite } from '../src/store/library.types.ts';
import { openLibrary } from '../src/store/open-library.ts';
import { mulberry32 } from './duplicate-eval-set.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '256' },
    keep: { type: 'string' },
    'build-only': { type: 'boolean', default: false },
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
    console.log(`built ${made} items in ${buildS.toFixed(1)} s at ${work}; planted ${JSON.stringify(planted)}`);
    process.exit(0);
  }

  // Three measurements (the goal is the first: a full scan with nothing stored):
  //   scan  — findDuplicates with no stored neighbour pairs: one k-NN query per exact group;
  //   link  — linkUnlinked: the same queries, stored (what the first index run after upgrading does);
  //   again — findDuplicates over the stored pairs (what every later scan costs).
  const lib = await openLibrary(path.join(work, 'library'), { create: false });
  try {
    lib.storeNeighbours({ floor: -1, k: 1, ef: 1 }, []); // drop pairs a previous run stored
    const count = (r: DuplicateReport, tier: string): number =>
      r.groups.filter((g) => g.tier === tier).length;
    const timed = <T>(fn: () => T): { value: T; wallS: number; cpuS: number } => {
      const t = performance.now();
      const c = process.cpuUsage();
      const value = fn();
      const used = process.cpuUsage(c);
      return { value, wallS: (performance.now() - t) / 1000, cpuS: (used.user + used.system) / 1e6 };
    };
    const load = (): string => os.loadavg()[0]!.toFixed(1);
    console.log(
      `${N} items, ${DIM}-d: library built in ${buildS.toFixed(1)} s (not part of the scan); ${os.cpus().length} vCPUs, node ${process.version}`,
    );
    const scan = timed(() => findDuplicates(lib, DEFAULT_DUPLICATE_THRESHOLDS));
    const r = scan.value;
    console.log(
      `scan (nothing stored): ${scan.wallS.toFixed(1)} s wall, ${scan.cpuS.toFixed(1)} s CPU, ${r.knnQueries} k-NN queries (load ${load()}) → exact ${count(r, 'exact')} groups (planted ${planted.exact}), near ${count(r, 'near')} (planted ${planted.near}), similar ${count(r, 'similar')} (planted ${planted.similar}); goal: under 60 s`,
    );
    const link = timed(() => linkUnlinked(lib));
    console.log(
      `link all (stored pairs): ${link.wallS.toFixed(1)} s wall, ${link.cpuS.toFixed(1)} s CPU, ${link.value} queries (load ${load()})`,
    );
    const again = timed(() => findDuplicates(lib, DEFAULT_DUPLICATE_THRESHOLDS));
    const r2 = again.value;
    console.log(
      `scan over stored pairs: ${again.wallS.toFixed(1)} s wall, ${again.cpuS.toFixed(1)} s CPU, ${r2.knnQueries} k-NN queries (load ${load()}) → exact ${count(r2, 'exact')}, near ${count(r2, 'near')}, similar ${count(r2, 'similar')}`,
    );
  } finally {
    await lib.close();
  }
} finally {
  if (!values.keep) await rm(work, { recursive: true, force: true });
}
