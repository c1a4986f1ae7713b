/**
 * Precision and recall of the three duplicate tiers on a generated evaluation set (see
 * duplicate-eval-set.ts), indexed with the bundled model through the real CLI pipeline, plus a
 * threshold sweep for the near tier and the cost of sharp-phash (a second decode) next to ours.
 *
 *   npx tsx bench/duplicates-eval.ts [--demo 60] [--photos 60] [--edits 8] [--sweep] [--keep <dir>]
 *       [--split test|dev|holdout]   (holdout: run with --demo 150 --photos 150, once per method)
 *
 * Pairs: exact = identical bytes; near = same family (the same picture) but not identical bytes;
 * similar = pairs inside similar groups, counted "cross-concept" when the two show different concepts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DUPLICATE_THRESHOLDS } from '../src/duplicates/duplicate-thresholds.ts';
import type { DuplicateReport, DuplicateThresholds } from '../src/duplicates/duplicate.types.ts';
import { findDuplicates } from '../src/duplicates/find-duplicates.ts';
import { openLibrary } from '../src/store/open-library.ts';
import { generateEvalSet, type EvalFile } from './duplicate-eval-set.ts';

export interface TierScores {
  readonly exact: { precision: number; recall: number; pairs: number };
  readonly near: {
    precision: number;
    recall: number;
    pairs: number;
    missedByVariant: Record<string, number>;
    /** Same-picture pairs per edit (the edited side; source/copy pairs count as the other side's edit). */
    truthByVariant: Record<string, number>;
    /** Wrongly merged pairs by what they were: another concept, or the same concept's look-alike / other style. */
    falseByKind: Record<string, number>;
  };
  readonly similar: { pairs: number; crossConcept: number; crossConceptRate: number };
}

/** Scores a report against the set; `uriOf` maps ids to uris (the file names). */
export function scoreReport(
  report: DuplicateReport,
  files: readonly EvalFile[],
  bytesOf: (file: string) => string,
): TierScores {
  const meta = new Map(files.map((f) => [f.file, f]));
  const idToUri = new Map<number, string>();
  for (const g of report.groups) for (const m of g.items) idToUri.set(m.id, m.uri);
  const key = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const pairsOf = (ids: readonly string[]): string[] =>
    ids.flatMap((a, i) => ids.slice(i + 1).map((b) => key(a, b)));

  // Clusters: exact members fold into their keep, near groups fold keeps together.
  const parent = new Map<string, string>();
  const find = (x: string): string =>
    parent.get(x) === undefined || parent.get(x) === x ? x : find(parent.get(x)!);
  const join = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const exactPred = new Set<string>();
  for (const g of report.groups.filter((x) => x.tier === 'exact')) {
    const uris = g.items.map((m) => m.uri);
    for (const p of pairsOf(uris)) exactPred.add(p);
    for (const u of uris) join(u, uris[0]!);
  }
  for (const g of report.groups.filter((x) => x.tier === 'near')) {
    for (const m of g.items) join(m.uri, g.items[0]!.uri);
  }
  const clusters = new Map<string, string[]>();
  for (const f of files) {
    const r = find(f.file);
    clusters.set(r, [...(clusters.get(r) ?? []), f.file]);
  }
  const nearPred = new Set<string>();
  for (const members of clusters.values()) {
    for (const p of pairsOf(members)) if (!exactPred.has(p)) nearPred.add(p);
  }

  const exactTruth = new Set<string>();
  const nearTruth = new Set<string>();
  const byFamily = new Map<string, EvalFile[]>();
  for (const f of files) byFamily.set(f.family, [...(byFamily.get(f.family) ?? []), f]);
  for (const fam of byFamily.values()) {
    for (let i = 0; i < fam.length; i++) {
      for (let j = i + 1; j < fam.length; j++) {
        const p = key(fam[i]!.file, fam[j]!.file);
        if (bytesOf(fam[i]!.file) === bytesOf(fam[j]!.file)) exactTruth.add(p);
        else nearTruth.add(p);
      }
    }
  }
  const pr = (pred: Set<string>, truth: Set<string>) => {
    let hit = 0;
    for (const p of pred) if (truth.has(p)) hit++;
    return {
      precision: pred.size ? hit / pred.size : 1,
      recall: truth.size ? hit / truth.size : 1,
      pairs: pred.size,
    };
  };
  const missedByVariant: Record<string, number> = {};
  const truthByVariant: Record<string, number> = {};
  const plain = (v: string): boolean => v === 'source' || v === 'copy';
  for (const p of nearTruth) {
    const [a, b] = p.split('|') as [string, string];
    const va = meta.get(a)!.variant;
    const vb = meta.get(b)!.variant;
    const v = plain(va) ? vb : plain(vb) ? va : [va, vb].sort().join('+');
    truthByVariant[v] = (truthByVariant[v] ?? 0) + 1;
    if (!nearPred.has(p)) missedByVariant[v] = (missedByVariant[v] ?? 0) + 1;
  }
  const falseByKind: Record<string, number> = {};
  for (const p of nearPred) {
    if (nearTruth.has(p)) continue;
    const [a, b] = (p.split('|') as [string, string]).map((f) => meta.get(f)!);
    const kind =
      a!.concept !== b!.concept
        ? 'other concept'
        : [a!.variant, b!.variant].includes('look-alike')
          ? 'look-alike'
          : [a!.variant, b!.variant].includes('other-style')
            ? 'other style'
            : 'same concept';
    falseByKind[kind] = (falseByKind[kind] ?? 0) + 1;
  }
  let simPairs = 0;
  let cross = 0;
  for (const g of report.groups.filter((x) => x.tier === 'similar')) {
    const uris = g.items.map((m) => m.uri);
    for (let i = 0; i < uris.length; i++) {
      for (let j = i + 1; j < uris.length; j++) {
        simPairs++;
        if (meta.get(uris[i]!)?.concept !== meta.get(uris[j]!)?.concept) cross++;
      }
    }
  }
  void idToUri;
  return {
    exact: pr(exactPred, exactTruth),
    near: { ...pr(nearPred, nearTruth), missedByVariant, truthByVariant, falseByKind },
    similar: { pairs: simPairs, crossConcept: cross, crossConceptRate: simPairs ? cross / simPairs : 0 },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'string', default: '60' },
      photos: { type: 'string', default: '60' },
      edits: { type: 'string', default: '8' },
      sweep: { type: 'boolean' },
      keep: { type: 'string' },
      split: { type: 'string', default: 'test' },
      'index-only': { type: 'boolean' },
    },
  });
  const work = values.keep ?? (await mkdtemp(path.join(os.tmpdir(), 'clipdex-dup-eval-')));
  const setDir = path.join(work, 'set');
  const libDir = path.join(work, 'library');
  try {
    const t0 = performance.now();
    const files = await generateEvalSet(setDir, {
      demo: Number(values.demo),
      photos: Number(values.photos),
      editsPerSource: Number(values.edits),
      split: values.split === 'dev' || values.split === 'holdout' ? values.split : 'test',
    });
    const t1 = performance.now();
    execFileSync(
      process.execPath,
      [path.join(import.meta.dirname, '../bin/clipdex.js'), 'index', setDir, '--library', libDir, '--json'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const t2 = performance.now();
    console.log(
      `eval set: ${files.length} files (${files.filter((f) => f.variant === 'source').length} sources) generated in ${((t1 - t0) / 1000).toFixed(1)} s, indexed in ${((t2 - t1) / 1000).toFixed(1)} s`,
    );
    if (values['index-only']) return; // score later with --keep (e.g. a held-out split, once)
    const bytes = new Map<string, string>();
    for (const f of files) bytes.set(f.file, (await readFile(path.join(setDir, f.file))).toString('base64'));
    const library = await openLibrary(libDir, { readOnly: true, create: false });
    try {
      const run = (t: DuplicateThresholds): TierScores =>
        scoreReport(findDuplicates(library, t), files, (f) => bytes.get(f)!);
      const s = run(DEFAULT_DUPLICATE_THRESHOLDS);
      console.log(`defaults ${JSON.stringify(DEFAULT_DUPLICATE_THRESHOLDS)}`);
      console.log(
        `  exact    precision ${s.exact.precision.toFixed(3)} recall ${s.exact.recall.toFixed(3)} (${s.exact.pairs} pairs)`,
      );
      console.log(
        `  near     precision ${s.near.precision.toFixed(3)} recall ${s.near.recall.toFixed(3)} (${s.near.pairs} pairs); wrongly merged pairs by kind ${JSON.stringify(s.near.falseByKind)}`,
      );
      const recallBy = Object.entries(s.near.truthByVariant)
        .filter(([v]) => !v.includes('+'))
        .map(([v, n]) => `${v} ${(1 - (s.near.missedByVariant[v] ?? 0) / n).toFixed(3)} (${n})`);
      const mixed = Object.entries(s.near.truthByVariant).filter(([v]) => v.includes('+'));
      const mixedN = mixed.reduce((t, [, n]) => t + n, 0);
      const mixedMissed = mixed.reduce((t, [v]) => t + (s.near.missedByVariant[v] ?? 0), 0);
      console.log(
        `           recall by edit (pairs with the original): ${recallBy.join(', ')}; two edits of one picture ${(1 - mixedMissed / Math.max(1, mixedN)).toFixed(3)} (${mixedN})`,
      );
      console.log(
        `  similar  ${s.similar.pairs} pairs, cross-concept ${s.similar.crossConcept} (${(100 * s.similar.crossConceptRate).toFixed(1)} %)`,
      );
      if (values.sweep) {
        console.log('sweep (near P / R / similar cross-concept %):');
        // A short list around the defaults (each point is a full scan with fingerprint checks).
        const points: Array<[number, number, number]> = [
          [0.9, 28, -1],
          [0.9, 28, 0.95],
          [0.9, 28, 0.96],
          [0.9, 28, 0.97],
          [0.9, 28, 0.98],
          [0.88, 28, 0.97],
          [0.92, 28, 0.97],
          [0.9, 22, 0.97],
          [0.9, 32, 0.97],
        ];
        for (const [c, d, m] of points) {
          const r = run({
            ...DEFAULT_DUPLICATE_THRESHOLDS,
            nearMaxDistance: d,
            nearMinCosine: c,
            nearMinMatch: m,
          });
          console.log(
            `  cos ≥ ${c.toFixed(2)} bits ≤ ${String(d).padStart(2)} match ≥ ${m === -1 ? 'off ' : m.toFixed(2)}: ${r.near.precision.toFixed(3)} / ${r.near.recall.toFixed(3)} / ${(100 * r.similar.crossConceptRate).toFixed(1)}`,
          );
        }
        for (const c of [0.9, 0.94, 0.95, 0.96, 0.97]) {
          const r = run({ ...DEFAULT_DUPLICATE_THRESHOLDS, similarMinCosine: c });
          console.log(
            `  similar ≥ ${c.toFixed(2)}: ${r.similar.pairs} pairs, cross-concept ${(100 * r.similar.crossConceptRate).toFixed(1)} %`,
          );
        }
      }
    } finally {
      await library.close();
    }
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
