/**
 * `clipdex eval --queries <jsonl> [--mode vector|keyword|hybrid] [--fusion rrf|convex] [--alpha a]
 * [--sweep-alpha] [--json]`: indexes the `images/` folder beside the query file into a temporary
 * library with the real indexer (metadata and keyword index included), runs every labelled query
 * through the real search service in each mode, and prints R@1/R@5 per subset (pixels, words,
 * both) and language, with the issue's goals checked. --sweep-alpha picks the convex weight.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INDEX_DEFAULTS } from '../../indexer/pipeline/index-request.ts';
import { runIndex } from '../../indexer/pipeline/index-run.ts';
import { EngineError, fromFsError } from '../../src/errors.ts';
import {
  parseLabelledQueries,
  QUERY_SUBSETS,
  runHybridEval,
  type HybridEvalReport,
} from '../../src/eval/hybrid-eval.ts';
import type { ClipModel } from '../../src/model/model.types.ts';
import { DEFAULT_FUSION, type Fusion } from '../../src/search/fusion.ts';
import { SearchService } from '../../src/search/search.service.ts';
import type { SearchMode } from '../../src/search/search.types.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';

export interface HybridEvalArgs {
  readonly queries: string;
  readonly images?: string;
  readonly mode?: string;
  readonly fusion?: string;
  readonly alpha?: string;
  readonly sweepAlpha?: boolean;
  readonly json?: boolean;
}

const MODES: readonly SearchMode[] = ['vector', 'keyword', 'hybrid'];

export async function runHybridEvalCommand(
  args: HybridEvalArgs,
  model: ClipModel,
  ctx: CommandContext,
): Promise<void> {
  const queriesPath = path.resolve(ctx.cwd, args.queries);
  const text = await readFile(queriesPath, 'utf8').catch((e: unknown) =>
    Promise.reject(fromFsError(e, `queries ${queriesPath}`)),
  );
  const queries = parseLabelledQueries(text);
  const imagesDir = path.resolve(ctx.cwd, args.images ?? path.join(path.dirname(queriesPath), 'images'));
  if (!existsSync(imagesDir)) {
    throw new EngineError('NOT_FOUND', `no images folder at ${imagesDir} (give --images <dir>)`);
  }
  const modes = args.mode === undefined || args.mode === 'all' ? MODES : [parseMode(args.mode)];
  const fusion = parseFusion(args.fusion, args.alpha);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-eval-'));
  const library = await openLibrary(dir, { fingerprint: model.fingerprint });
  try {
    const summary = await runIndex(
      {
        ...INDEX_DEFAULTS,
        folders: [imagesDir],
        imageFiles: [],
        corpora: [],
        captions: [],
        filter: {},
        signal: ctx.signal,
      },
      library,
      {
        text: model.text,
        image: model.image,
        preprocessor: model.preprocessor,
        fingerprint: model.fingerprint,
      },
    );
    const search = new SearchService({
      text: model.text,
      image: model.image,
      preprocessor: model.preprocessor,
      library,
    });
    const evaluate = (mode: SearchMode, f: Fusion): Promise<HybridEvalReport> =>
      runHybridEval(queries, async (q) =>
        (await search.search({ target: 'image', terms: [{ text: q }], k: 5, mode, fusion: f })).results.map(
          (h) => h.item.uri,
        ),
      );

    const reports: Partial<Record<SearchMode, HybridEvalReport>> = {};
    for (const mode of modes) reports[mode] = await evaluate(mode, fusion);
    const sweep: Array<{ alpha: number; report: HybridEvalReport }> = [];
    if (args.sweepAlpha) {
      for (let i = 0; i <= 10; i += 1) {
        sweep.push({ alpha: i / 10, report: await evaluate('hybrid', { method: 'convex', alpha: i / 10 }) });
      }
    }
    // Ties go to the larger alpha: more weight on the vectors keeps pixel-only queries robust.
    const best =
      sweep.length > 0 ? sweep.reduce((a, b) => (score(b.report) >= score(a.report) ? b : a)) : undefined;
    const goals = checkGoals(reports);
    const out = {
      queries: queriesPath,
      images: summary.stats.images.indexed,
      queryCount: queries.length,
      fusion,
      modes: reports,
      ...(sweep.length > 0
        ? {
            sweep: sweep.map((s) => ({ alpha: s.alpha, all: s.report.all, subsets: s.report.subsets })),
            bestAlpha: best!.alpha,
          }
        : {}),
      ...(goals ? { goals } : {}),
    };
    if (args.json) return writeJson(ctx.stdout, out);
    writeLine(
      ctx.stdout,
      `${queries.length} queries over ${summary.stats.images.indexed} images (${imagesDir}); fusion ${describeFusion(fusion)}`,
    );
    writeLine(
      ctx.stdout,
      `${'mode'.padEnd(10)}${['all', ...QUERY_SUBSETS, ...Object.keys(reports[modes[0]!]!.langs)].map((s) => `${s} R@1/R@5`.padStart(18)).join('')}`,
    );
    const row = (name: string, r: HybridEvalReport) =>
      `${name.padEnd(10)}${[r.all, ...QUERY_SUBSETS.map((s) => r.subsets[s]), ...Object.values(r.langs)].map((x) => `${x.r1.toFixed(1)}/${x.r5.toFixed(1)}`.padStart(18)).join('')}`;
    for (const mode of modes) writeLine(ctx.stdout, row(mode, reports[mode]!));
    for (const s of sweep) writeLine(ctx.stdout, row(`α=${s.alpha.toFixed(1)}`, s.report));
    if (best) writeLine(ctx.stdout, `best convex alpha: ${best.alpha}`);
    if (goals) {
      writeLine(
        ctx.stdout,
        `goals: hybrid ≥ better leg − 1 on every subset: ${goals.hybridAtLeastBetterLeg ? 'met' : 'NOT met'}; hybrid R@5 ≥ vector + 15: ${goals.hybridBeatsVectorBy15 ? 'met' : 'NOT met'} (+${goals.r5GainOverVector.toFixed(1)})`,
      );
    }
  } finally {
    await library.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function score(r: HybridEvalReport): number {
  return r.all.r5 * 1000 + r.all.r1 + Math.min(...QUERY_SUBSETS.map((s) => r.subsets[s].r5)) / 1000;
}

function checkGoals(reports: Partial<Record<SearchMode, HybridEvalReport>>) {
  const { vector, keyword, hybrid } = reports;
  if (!vector || !keyword || !hybrid) return undefined;
  const perSubset = QUERY_SUBSETS.every((s) =>
    (['r1', 'r5'] as const).every(
      (k) => hybrid.subsets[s][k] >= Math.max(vector.subsets[s][k], keyword.subsets[s][k]) - 1,
    ),
  );
  const gain = hybrid.all.r5 - vector.all.r5;
  return {
    hybridAtLeastBetterLeg: perSubset,
    hybridBeatsVectorBy15: gain >= 15,
    r5GainOverVector: Math.round(gain * 10) / 10,
  };
}

function parseMode(raw: string): SearchMode {
  if ((MODES as readonly string[]).includes(raw)) return raw as SearchMode;
  throw new EngineError('INVALID_INPUT', `--mode takes vector, keyword, hybrid or all (got "${raw}")`);
}

function parseFusion(method: string | undefined, alphaRaw: string | undefined): Fusion {
  const alpha = alphaRaw === undefined ? undefined : Number(alphaRaw);
  if (alpha !== undefined && !(alpha >= 0 && alpha <= 1)) {
    throw new EngineError('INVALID_INPUT', `--alpha takes a number from 0 to 1 (got "${alphaRaw}")`);
  }
  if (method === undefined || method === 'rrf') {
    return alpha === undefined || method === 'rrf' ? DEFAULT_FUSION : { method: 'convex', alpha };
  }
  if (method === 'convex') return { method: 'convex', alpha: alpha ?? 0.5 };
  throw new EngineError('INVALID_INPUT', `--fusion takes rrf or convex (got "${method}")`);
}

function describeFusion(f: Fusion): string {
  return f.method === 'rrf' ? `RRF k=${f.k ?? 60}` : `convex alpha=${f.alpha}`;
}
