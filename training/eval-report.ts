/**
 * The model card's recall table, measured through the real `clipdex eval` CLI (the engine's own
 * loader, tokenizer, sharp preprocessing and ONNX Runtime), not through torch.
 *
 *   cd training && npx tsx eval-report.ts [model dir] [--variant quantized]
 *
 * Needs the manifests from build-dataset.ts in .data/eval/. Prints a Markdown table and writes
 * .out/eval-report[-<variant>].json.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const variantAt = args.indexOf('--variant');
const variant = variantAt >= 0 ? args[variantAt + 1] : undefined;
const modelDir =
  args.find((a, i) => !a.startsWith('--') && i !== variantAt + 1) ??
  path.join(root, 'fixtures/models/clipdex-mini');

const SUITES: { name: string; manifest: string; note: string }[] = [
  {
    name: 'OpenMoji en, seen concepts',
    manifest: 'training/.data/eval/openmoji/en-seen.jsonl',
    note: 'held-out style',
  },
  {
    name: 'OpenMoji zh, seen concepts',
    manifest: 'training/.data/eval/openmoji/zh-seen.jsonl',
    note: 'held-out style',
  },
  {
    name: 'OpenMoji en, unseen concepts',
    manifest: 'training/.data/eval/openmoji/en-unseen.jsonl',
    note: 'held-out style and concepts',
  },
  {
    name: 'OpenMoji zh, unseen concepts',
    manifest: 'training/.data/eval/openmoji/zh-unseen.jsonl',
    note: 'held-out style and concepts',
  },
  {
    name: 'Noto en, seen concepts',
    manifest: 'training/.data/eval/noto/en-seen.jsonl',
    note: 'training style (fit check)',
  },
  {
    name: 'Noto zh, seen concepts',
    manifest: 'training/.data/eval/noto/zh-seen.jsonl',
    note: 'training style (fit check)',
  },
  { name: 'Demo corpus en + zh', manifest: 'fixtures/demo/captions.jsonl', note: 'training styles, 128 px' },
];

interface Report {
  t2i: Record<string, number>;
  i2t: Record<string, number>;
  images: number;
  captions: number;
  queryImages: number;
}

const rows: (Report & { name: string; note: string })[] = [];
for (const suite of SUITES) {
  const cli = [
    'bin/clipdex.js',
    'eval',
    '--manifest',
    suite.manifest,
    '--model',
    modelDir,
    '--json',
    ...(variant ? ['--variant', variant] : []),
  ];
  const out = execFileSync(process.execPath, cli, { cwd: root, encoding: 'utf8' });
  rows.push({ name: suite.name, note: suite.note, ...(JSON.parse(out) as Report) });
}
const f = (r: Record<string, number>) => ['r1', 'r5', 'r10'].map((k) => r[k]!.toFixed(1)).join(' / ');
const lines = [
  '| eval set | images (queried) / captions | text→image R@1 / R@5 / R@10 | image→text R@1 / R@5 / R@10 |',
  '|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.name} (${r.note}) | ${r.images} (${r.queryImages}) / ${r.captions} | ${f(r.t2i)} | ${f(r.i2t)} |`,
  ),
];
console.log(lines.join('\n'));
writeFileSync(
  path.join(import.meta.dirname, '.out', `eval-report${variant ? `-${variant}` : ''}.json`),
  JSON.stringify(rows, null, 2),
);
