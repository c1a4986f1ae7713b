/**
 * Exact close pairs among a library's first N images, the reference a duplicate scan's pair
 * recall is measured against (bench/duplicates-scale.ts --exact). Every pair is checked, with a
 * bound that skips only pairs that provably fall below the floor: for unit vectors split into a
 * head (first 64 dims) and a tail, a·b ≤ head(a)·head(b) + |tail(a)|·|tail(b)| (Cauchy–Schwarz).
 * Pairs are keyed by content hash (copies of the same bytes are one picture to the scan).
 *
 *   npx tsx bench/exact-pairs.ts --library <dir> [--n 20000] [--floor 0.88] --out pairs.json
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { openLibrary } from '../src/store/open-library.ts';

export interface ExactPairs {
  readonly n: number;
  readonly floor: number;
  /** Largest image id in the subset. */
  readonly maxId: number;
  /** "hashA|hashB" (sorted) for every pair of different content at or above the floor. */
  readonly pairs: string[];
  readonly checked: number;
  readonly fullDots: number;
  readonly seconds: number;
}

const HEAD = 64;

export async function exactPairs(dir: string, n: number, floor: number): Promise<ExactPairs> {
  const t0 = performance.now();
  const library = await openLibrary(dir, { readOnly: true, create: false });
  try {
    const hashes = new Map<number, string>();
    for (let after = 0; ;) {
      const page = library.imageSignatures(after, 5000);
      for (const s of page) hashes.set(s.id, s.contentHash ?? `id${s.id}`);
      if (page.length < 5000) break;
      after = page[page.length - 1]!.id;
    }
    const ids: number[] = [];
    const vectors: Float32Array[] = [];
    for (let after = 0; ids.length < n;) {
      const page = library.imageVectors(after, Math.min(5000, n - ids.length));
      for (const { id, vector } of page) {
        ids.push(id);
        vectors.push(vector);
      }
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
    }
    const dim = vectors[0]!.length;
    const count = ids.length;
    const flat = new Float64Array(count * dim);
    const tail = new Float64Array(count);
    vectors.forEach((v, i) => {
      let norm = 0;
      for (const x of v) norm += x * x;
      norm = Math.sqrt(norm);
      let t = 0;
      for (let d = 0; d < dim; d++) {
        const x = v[d]! / norm;
        flat[i * dim + d] = x;
        if (d >= HEAD) t += x * x;
      }
      tail[i] = Math.sqrt(t);
    });
    const found = new Set<string>();
    let fullDots = 0;
    const margin = 1e-6; // float rounding: never skip a pair at the floor
    for (let i = 0; i < count; i++) {
      const oi = i * dim;
      for (let j = i + 1; j < count; j++) {
        const oj = j * dim;
        let head = 0;
        for (let d = 0; d < HEAD; d++) head += flat[oi + d]! * flat[oj + d]!;
        if (head + tail[i]! * tail[j]! < floor - margin) continue;
        fullDots++;
        let dot = head;
        for (let d = HEAD; d < dim; d++) dot += flat[oi + d]! * flat[oj + d]!;
        if (dot < floor) continue;
        const a = hashes.get(ids[i]!)!;
        const b = hashes.get(ids[j]!)!;
        if (a !== b) found.add(a < b ? `${a}|${b}` : `${b}|${a}`);
      }
    }
    return {
      n: count,
      floor,
      maxId: ids[count - 1]!,
      pairs: [...found].sort(),
      checked: (count * (count - 1)) / 2,
      fullDots,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await library.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const { values } = parseArgs({
    options: {
      library: { type: 'string' },
      n: { type: 'string', default: '20000' },
      floor: { type: 'string', default: '0.88' },
      out: { type: 'string' },
    },
  });
  if (!values.library || !values.out) throw new Error('--library and --out are required');
  const result = await exactPairs(path.resolve(values.library), Number(values.n), Number(values.floor));
  await writeFile(values.out, JSON.stringify(result));
  console.log(
    `${result.n} images (ids ≤ ${result.maxId}): ${result.pairs.length} exact pairs ≥ ${result.floor} among ${result.checked} checked (${result.fullDots} needed the full dot product) in ${result.seconds.toFixed(1)} s`,
  );
}
