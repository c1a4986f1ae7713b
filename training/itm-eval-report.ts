/**
 * The ITM model card's table: `clipdex eval` on the OpenMoji held-out style (seen and unseen
 * concepts, en and zh), dual encoder alone vs re-ranked (`--rerank`), both directions.
 *
 *   cd training && npx tsx itm-eval-report.ts [--k 32] [--variant quantized] [--suites en-seen,zh-seen]
 *
 * Needs the manifests from build-dataset.ts in .data/eval/. Prints a Markdown table and writes
 * .out/itm/eval-report[-<variant>].json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    k: { type: 'string', default: '32' },
    variant: { type: 'string' },
    suites: { type: 'string' },
    // emojione-v1 is the validation style (choices are made there); openmoji is the test style.
    style: { type: 'string', default: 'openmoji' },
    out: { type: 'string' },
    // A model directory whose `<model>-itm/` sibling is the package to evaluate (default: the bundled one).
    model: { type: 'string' },
  },
});
const root = path.join(import.meta.dirname, '..');
const ALL = ['en-seen', 'zh-seen', 'en-unseen', 'zh-unseen'];
const suites = values.suites ? values.suites.split(',') : ALL;

interface Report {
  t2i: Record<string, number>;
  i2t: Record<string, number>;
  images: number;
  captions: number;
  queryImages: number;
}

const evaluate = (manifest: string, rerank: boolean): Report => {
  const cli = [
    'bin/clipdex.js',
    'eval',
    '--manifest',
    manifest,
    '--json',
    ...(values.variant ? ['--variant', values.variant] : []),
    ...(values.model ? ['--model', path.resolve(values.model)] : []),
    ...(rerank ? ['--rerank', values.k] : []),
  ];
  return JSON.parse(
    execFileSync(process.execPath, cli, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 }),
  ) as Report;
};

const f = (r: Record<string, number>) => ['r1', 'r5', 'r10'].map((k) => r[k]!.toFixed(1)).join(' / ');
const rows: { suite: string; dual: Report; reranked: Report; seconds: number }[] = [];
for (const suite of suites) {
  const manifest = `training/.data/eval/${values.style}/${suite}.jsonl`;
  const dual = evaluate(manifest, false);
  const started = Date.now();
  const reranked = evaluate(manifest, true);
  rows.push({ suite, dual, reranked, seconds: (Date.now() - started) / 1000 });
  console.error(`${suite}: t2i ${f(dual.t2i)} → ${f(reranked.t2i)}; i2t ${f(dual.i2t)} → ${f(reranked.i2t)}`);
}
const lines = [
  `| ${values.style} | queries t2i / i2t | text→image R@1 / R@5 / R@10: dual → re-ranked (k ${values.k}) | image→text R@1 / R@5 / R@10: dual → re-ranked |`,
  '|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.suite} | ${r.dual.captions} / ${r.dual.queryImages} | ${f(r.dual.t2i)} → **${f(r.reranked.t2i)}** | ${f(r.dual.i2t)} → **${f(r.reranked.i2t)}** |`,
  ),
];
console.log(lines.join('\n'));
mkdirSync(path.join(import.meta.dirname, '.out', 'itm'), { recursive: true });
writeFileSync(
  path.join(
    import.meta.dirname,
    '.out',
    'itm',
    values.out ?? `eval-report-${values.style}${values.variant ? `-${values.variant}` : ''}.json`,
  ),
  JSON.stringify(rows, null, 2),
);
