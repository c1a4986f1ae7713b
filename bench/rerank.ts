/**
 * Added latency of the second stage (ITM re-ranking) over plain search, at k = 16, 32, 64, on
 * the demo corpus with the bundled model and its ITM package, in-process through the engine.
 *
 *   npx tsx bench/rerank.ts [--queries 40] [--threads 1] [--library <dir>]
 *
 * Without --library it indexes fixtures/demo (341 images, 682 captions) into a temp library with
 * the real CLI first. Queries: demo captions (en + zh) for words → images; demo images for
 * image items → texts. Prints p50 / p90 of (re-ranked − plain) ms per query, each measured
 * right after the other so machine load hits both alike.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openEngine } from '../src/engine.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import type { SearchRequest } from '../src/search/search.types.ts';

const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '40' },
    threads: { type: 'string', default: '1' },
    library: { type: 'string' },
  },
});
const root = path.join(import.meta.dirname, '..');
const QUERIES = Number(values.queries);
let tmp: string | undefined;
let library = values.library;
if (!library) {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'clipdex-bench-rerank-'));
  library = path.join(tmp, 'library');
  const demo = path.join(root, 'fixtures/demo');
  console.log('indexing the demo corpus …');
  execFileSync(
    process.execPath,
    [
      path.join(root, 'bin/clipdex.js'),
      'index',
      path.join(demo, 'images'),
      '--captions',
      path.join(demo, 'captions.jsonl'),
      '--library',
      library,
      '--threads',
      values.threads,
      '--json',
    ],
    { stdio: 'ignore' },
  );
}

const rows = readFileSync(path.join(root, 'fixtures/demo/captions.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { captions: string[] });
const words = rows
  .flatMap((r) => r.captions)
  .filter((_, i) => i % 7 === 0)
  .slice(0, QUERIES);
const engine = await openEngine({
  libraryDir: library,
  modelDir: bundledModelDir(),
  readOnly: true,
  threads: Number(values.threads),
});
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

async function time(request: SearchRequest): Promise<number> {
  const started = performance.now();
  await engine.search.search(request);
  return performance.now() - started;
}

try {
  const imageIds = (
    await engine.search.search({ target: 'image', terms: [{ text: 'face' }], k: QUERIES })
  ).results.map((h) => h.item.id);
  // Warm-up: sessions open on first use.
  await engine.search.search({ target: 'image', terms: [{ text: 'warm up' }], k: 10, rerank: {} });
  await engine.search.search({ target: 'text', terms: [{ itemId: imageIds[0]! }], k: 10, rerank: {} });
  console.log(
    `${words.length} word queries → images, ${imageIds.length} image items → texts; ${os.cpus().length} vCPUs, ${values.threads} ONNX thread(s)`,
  );
  console.log('direction        k   plain p50   added p50   added p90   (ms)');
  for (const k of [16, 32, 64]) {
    for (const [name, requests] of [
      ['words → images', words.map((q): SearchRequest => ({ target: 'image', terms: [{ text: q }], k: 20 }))],
      [
        'image → texts',
        imageIds.map((id): SearchRequest => ({ target: 'text', terms: [{ itemId: id }], k: 20 })),
      ],
    ] as const) {
      const plain: number[] = [];
      const added: number[] = [];
      for (const request of requests) {
        const p = await time(request);
        const r = await time({ ...request, rerank: { k } });
        plain.push(p);
        added.push(r - p);
      }
      console.log(
        `${name.padEnd(15)} ${String(k).padStart(3)} ${quantile(plain, 0.5).toFixed(1).padStart(11)} ${quantile(added, 0.5).toFixed(1).padStart(11)} ${quantile(added, 0.9).toFixed(1).padStart(11)}`,
      );
    }
  }
} finally {
  await engine.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
