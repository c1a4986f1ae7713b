/**
 * How hard is a vector set for a graph index? Local intrinsic dimensionality (LID, the
 * Levina–Bickel maximum-likelihood estimate over each point's k nearest neighbours, pooled as
 * MacKay and Ghahramani suggest) and neighbour-distance contrast, for real embeddings of the
 * bundled model and for the synthetic generators of bench/generators.ts, side by side.
 *
 *   npx tsx bench/intrinsic-dim.ts [--k 20] [--samples 200] [--n 10000,100000]
 *                                  [--sources real,gaussian,lowrank,real-images,real-texts]
 *                                  [--rank 12 --spread 1.2 --floor 0.15]
 *
 * Real: the bundled model (fixtures/models/clipdex-mini, 256-d) on every decodable image under
 * fixtures/ (demo, hybrid-eval, images) and on texts: the demo corpus's texts and captions and
 * "an emoji of <w>" for the whole English words of the model's vocabulary. Near-duplicates
 * (distance < 0.01, e.g. one emoji saved twice) are dropped first: a zero distance says nothing
 * about dimension. Synthetic: N points of each generator at 512-d, the first `samples` rows
 * measured against all N. Cached embedding sets (bench/embedding-set.ts: `real-images`,
 * `real-images-i2i`, `real-texts`): the first N base rows likewise, then the first `samples`
 * queries of the set against those N rows ("queries → base").
 *
 * Columns: LID (pooled) and its median over points; RC = mean distance to the set ÷ distance to
 * the nearest neighbour (relative contrast: near 1 means every point is about equally far);
 * d20/d1; gap@10 = d11/d10 − 1 (how far the 11th neighbour is behind the 10th: near 0 means
 * recall@10 is decided by near-ties).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { loadModel } from '../src/model/load-model.ts';
import { GENERATORS, LOWRANK_DEFAULTS, makeGenerator } from './generators.ts';
import { embeddingGenerator, isEmbeddingSet } from './embedding-set.ts';

const { values } = parseArgs({
  options: {
    k: { type: 'string', default: '20' },
    samples: { type: 'string', default: '200' },
    n: { type: 'string', default: '10000,100000' },
    sources: { type: 'string', default: 'real,gaussian,lowrank' },
    dim: { type: 'string', default: '512' },
    clusters: { type: 'string', default: '1000' },
    rank: { type: 'string', default: String(LOWRANK_DEFAULTS.rank) },
    spread: { type: 'string', default: String(LOWRANK_DEFAULTS.spread) },
    floor: { type: 'string', default: String(LOWRANK_DEFAULTS.floor) },
  },
});
const K = Number(values.k);
const SAMPLES = Number(values.samples);
const DIM = Number(values.dim);

interface Stats {
  lid: number;
  lidMedian: number;
  rc: number;
  ratio: number;
  gap10: number;
  points: number;
  measured: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Euclidean distances (unit vectors: √(2 − 2·cos)) from row `q` to every other row; with `from`,
 * from that set's row `q` (a query outside the data) to every row.
 */
function distancesFrom(
  data: Float32Array,
  n: number,
  dim: number,
  q: number,
  out: Float64Array,
  from?: Float32Array,
): void {
  const source = from ?? data;
  const base = q * dim;
  for (let p = 0; p < n; p++) {
    let s = 0;
    const o = p * dim;
    for (let i = 0; i < dim; i++) s += data[o + i]! * source[base + i]!;
    out[p] = p === q && !from ? Infinity : Math.sqrt(Math.max(0, 2 - 2 * s));
  }
}

function measure(data: Float32Array, n: number, dim: number, rows: number[], from?: Float32Array): Stats {
  const d = new Float64Array(n);
  const lids: number[] = [];
  const rcs: number[] = [];
  const ratios: number[] = [];
  const gaps: number[] = [];
  for (const q of rows) {
    distancesFrom(data, n, dim, q, d, from);
    let sum = 0;
    let finite = 0;
    // Keep the K+1 smallest (K for LID, 11 for the gap) with a small sorted buffer.
    const keep = Math.max(K, 11);
    const best: number[] = [];
    for (let p = 0; p < n; p++) {
      const v = d[p]!;
      if (v === Infinity) continue;
      sum += v;
      finite++;
      if (best.length < keep || v < best[best.length - 1]!) {
        let i = best.length;
        best.push(v);
        while (i > 0 && best[i - 1]! > v) {
          best[i] = best[i - 1]!;
          i--;
        }
        best[i] = v;
        if (best.length > keep) best.pop();
      }
    }
    const rk = best[K - 1]!;
    let acc = 0;
    for (let j = 0; j < K - 1; j++) acc += Math.log(rk / best[j]!);
    lids.push((K - 1) / acc);
    rcs.push(sum / finite / best[0]!);
    ratios.push(best[K - 1]! / best[0]!);
    gaps.push(best[10]! / best[9]! - 1);
  }
  const inv = lids.reduce((a, l) => a + 1 / l, 0) / lids.length;
  return {
    lid: 1 / inv,
    lidMedian: median(lids),
    rc: median(rcs),
    ratio: median(ratios),
    gap10: median(gaps),
    points: n,
    measured: rows.length,
  };
}

/** Drops rows closer than 0.01 to an earlier kept row. */
function dedupe(rows: Float32Array[]): Float32Array[] {
  const kept: Float32Array[] = [];
  for (const r of rows) {
    let dup = false;
    for (const k of kept) {
      let s = 0;
      for (let i = 0; i < r.length; i++) s += r[i]! * k[i]!;
      if (2 - 2 * s < 1e-4) {
        dup = true;
        break;
      }
    }
    if (!dup) kept.push(r);
  }
  return kept;
}

function stack(rows: Float32Array[]): Float32Array {
  const dim = rows[0]!.length;
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return out;
}

function listImages(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? listImages(path.join(dir, e.name))
        : /\.(png|jpe?g|webp)$/i.test(e.name)
          ? [path.join(dir, e.name)]
          : [],
    );
}

async function realSets(): Promise<{ name: string; rows: Float32Array[]; note: string }[]> {
  const root = path.join(import.meta.dirname, '..', 'fixtures');
  const model = await loadModel(bundledModelDir(), { threads: 1 });
  try {
    const files = ['demo', 'hybrid-eval', 'images'].flatMap((d) => listImages(path.join(root, d)));
    const images: Float32Array[] = [];
    let failed = 0;
    for (const file of files) {
      try {
        const pre = await model.preprocessor.preprocess(fs.readFileSync(file));
        images.push((await model.image.encodeBatch([pre.pixels]))[0]!);
      } catch {
        failed++;
      }
    }
    const demo = fs
      .readFileSync(path.join(root, 'demo', 'texts.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const captions = fs
      .readFileSync(path.join(root, 'demo', 'captions.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => (JSON.parse(l) as { captions: string[] }).captions);
    const vocab = Object.keys(
      (
        JSON.parse(fs.readFileSync(path.join(bundledModelDir(), 'tokenizer.json'), 'utf8')) as {
          model: { vocab: Record<string, number> };
        }
      ).model.vocab,
    ).filter((w) => /^[a-z]{3,}$/.test(w));
    const texts = [...new Set([...demo, ...captions, ...vocab.map((w) => `an emoji of ${w}`)])];
    const textVectors: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += 64) {
      textVectors.push(...(await model.text.encodeBatch(texts.slice(i, i + 64))));
    }
    const imgs = dedupe(images);
    const txts = dedupe(textVectors);
    return [
      {
        name: 'real images',
        rows: imgs,
        note: `${files.length} files, ${failed} not decodable, ${images.length - imgs.length} near-duplicates dropped`,
      },
      {
        name: 'real texts',
        rows: txts,
        note: `${demo.length} demo texts + ${captions.length} captions + ${vocab.length} vocabulary words, ${texts.length} distinct, ${textVectors.length - txts.length} near-duplicates dropped`,
      },
    ];
  } finally {
    await model.close();
  }
}

function print(name: string, s: Stats, note = ''): void {
  console.log(
    `${name.padEnd(28)}${String(s.points).padStart(8)}${String(s.measured).padStart(6)}${s.lid.toFixed(1).padStart(8)}${s.lidMedian.toFixed(1).padStart(8)}${s.rc.toFixed(2).padStart(8)}${s.ratio.toFixed(2).padStart(8)}${s.gap10.toFixed(4).padStart(9)}  ${note}`,
  );
}

async function main(): Promise<void> {
  const sources = values.sources.split(',');
  console.log(
    `bench/intrinsic-dim: k=${K}, ${os.availableParallelism()} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `${'set'.padEnd(28)}${'points'.padStart(8)}${'meas.'.padStart(6)}${'LID'.padStart(8)}${'LIDmed'.padStart(8)}${'RC'.padStart(8)}${'d20/d1'.padStart(8)}${'gap@10'.padStart(9)}`,
  );
  if (sources.includes('real')) {
    for (const set of await realSets()) {
      const n = set.rows.length;
      const rows = Array.from({ length: Math.min(n, Math.max(SAMPLES, 1000)) }, (_, i) =>
        Math.floor((i * n) / Math.min(n, Math.max(SAMPLES, 1000))),
      );
      print(
        `${set.name} (${set.rows[0]!.length}-d)`,
        measure(stack(set.rows), n, set.rows[0]!.length, rows),
        set.note,
      );
    }
  }
  // Cached embedding sets (bench/embedding-set.ts): the base rows, and the queries' neighbourhoods
  // in them (a query is not one of the rows: text queries sit across the modality gap).
  for (const name of sources.filter(isEmbeddingSet)) {
    const set = embeddingGenerator(name)!;
    for (const n of values.n.split(',').map(Number)) {
      const data = set.sample(n, 2);
      const rows = Array.from({ length: Math.min(SAMPLES, n) }, (_, i) => i);
      print(`${name} (${set.dim}-d)`, measure(data, n, set.dim, rows), 'base rows');
      print(`${name} queries`, measure(data, n, set.dim, rows, set.sample(rows.length, 3)), 'queries → base');
    }
  }
  for (const name of GENERATORS) {
    if (!sources.includes(name)) continue;
    const generator = makeGenerator(name, {
      dim: DIM,
      clusters: Number(values.clusters),
      rank: Number(values.rank),
      spread: Number(values.spread),
      floor: Number(values.floor),
    });
    for (const n of values.n.split(',').map(Number)) {
      const data = generator.sample(n, 2);
      const rows = Array.from({ length: Math.min(SAMPLES, n) }, (_, i) => i);
      print(`${name} (${DIM}-d)`, measure(data, n, DIM, rows), generator.description);
    }
  }
}

await main();
