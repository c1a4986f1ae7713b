/**
 * `clipdex search <words> --library <dir>` and `clipdex search --image <file> …`: ranked images
 * (or texts, with --target text) and their cosine similarity to the query.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../src/defaults.ts';
import { openEngine } from '../../src/engine.ts';
import { EngineError, fromFsError } from '../../src/errors.ts';
import { photoFacts } from '../../src/metadata/photo-facts.ts';
import type { HitScores, QueryTerm, SearchMode } from '../../src/search/search.types.ts';
import type { ItemFilter, SearchKind } from '../../src/store/library.types.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';
import { withLibraryModel } from '../cli-support/library-model.ts';
import { deviceOf, positiveInt, threadSettings, type ModelArgs } from '../cli-support/open-model.ts';
import { parseRerank } from '../cli-support/rerank-arg.ts';

export interface SearchArgs extends ModelArgs {
  readonly _: readonly (string | readonly string[])[];
  readonly library: string;
  readonly image?: string;
  readonly target?: 'image' | 'text';
  readonly kinds?: string;
  readonly k?: string;
  readonly minScore?: string;
  readonly rerank?: boolean | string;
  readonly mode?: SearchMode;
  readonly sort?: 'score' | 'taken' | 'date';
  readonly takenAfter?: string;
  readonly takenBefore?: string;
  readonly json?: boolean;
  readonly tag?: string[];
  readonly collapse?: string;
}

export async function run(args: SearchArgs, ctx: CommandContext): Promise<void> {
  const words = args._.flat().join(' ').trim();
  if (!words && !args.image) {
    throw new EngineError('INVALID_INPUT', 'give words to search for, or --image <file>');
  }
  const k = args.k === undefined ? DEFAULT_PAGE_SIZE : positiveInt(args.k, '--k', MAX_PAGE_SIZE);
  const minScore = parseMinScore(args.minScore);
  const rerank = parseRerank(args.rerank);
  const terms: QueryTerm[] = [];
  if (words) terms.push({ text: words });
  if (args.image) {
    const file = path.resolve(ctx.cwd, args.image);
    terms.push({
      image: await readFile(file).catch((e: unknown) => Promise.reject(fromFsError(e, args.image ?? file))),
    });
  }
  const open = (modelDir: string) =>
    openEngine({
      libraryDir: path.resolve(ctx.cwd, args.library),
      modelDir,
      device: deviceOf(args),
      readOnly: true,
      ...threadSettings(args, ctx),
    });
  // Without --model, the model the library remembers.
  const engine = await withLibraryModel(args, ctx, path.resolve(ctx.cwd, args.library), open);
  try {
    if (args.collapse !== undefined && args.collapse !== 'near') {
      throw new EngineError('INVALID_INPUT', `--collapse takes "near" (got "${args.collapse}")`);
    }
    const kinds = parseKinds(args.kinds);
    const filter: ItemFilter = {
      ...(args.tag?.length ? { tags: args.tag } : {}),
      ...(kinds ? { kinds } : {}),
      ...(args.takenAfter === undefined ? {} : { takenAfter: parseDate(args.takenAfter, '--taken-after') }),
      ...(args.takenBefore === undefined
        ? {}
        : { takenBefore: parseDate(args.takenBefore, '--taken-before') }),
    };
    const page = await engine.search.search({
      target: args.target ?? 'image',
      terms,
      k,
      mode: args.mode ?? 'hybrid',
      sort: args.sort ?? 'score',
      ...(Object.keys(filter).length > 0 || args.tag?.length
        ? { filter: { ...filter, ...(args.tag?.length ? { tags: args.tag } : {}) } }
        : {}),
      ...(minScore === undefined ? {} : { minScore }),
      ...(Object.keys(filter).length > 0 ? { filter } : {}),
      ...(args.collapse === 'near' ? { collapse: 'near' as const } : {}),
      ...(rerank === undefined ? {} : { rerank }),
    });
    const results = page.results.map(({ item, score, tags, scores, shot, matched }) => ({
      id: item.id,
      kind: item.kind,
      uri: item.uri,
      ...(item.text === null ? {} : { text: item.text }),
      path: engine.library.resolvePath(item),
      score: Math.round(score * 1e6) / 1e6,
      ...(tags === undefined ? {} : { tags }),
      scores: roundScores({ vector: null, keyword: null, fused: null, ...scores }),
      matched: matched ?? [],
      ...photoFacts(item),
      ...(shot ? { start: shot.start, end: shot.end, shotId: shot.id } : {}),
    }));
    if (args.json) return writeJson(ctx.stdout, { results, ...(page.rerank ? { rerank: page.rerank } : {}) });
    if (results.length === 0) return writeLine(ctx.stdout, 'no results');
    if (page.rerank) {
      writeLine(
        ctx.stdout,
        `re-ranked the top ${page.rerank.reranked} with ${page.rerank.stage} (score = itm + dual-encoder logit)`,
      );
    }
    for (const r of results) {
      const { itm: logit, vector } = r.scores ?? {};
      const at = r.start === undefined ? '' : `  @ ${formatTime(r.start)}–${formatTime(r.end ?? r.start)}`;
      const itm =
        typeof logit === 'number' ? `  (itm ${logit.toFixed(2)}, cosine ${vector?.toFixed(3) ?? '?'})` : '';
      writeLine(
        ctx.stdout,
        `${r.score.toFixed(3)}  ${r.text !== undefined ? JSON.stringify(r.text) : (r.path ?? r.uri)}${itm}${at}`,
      );
    }
  } finally {
    await engine.close();
  }
}

function roundScores(scores: HitScores): HitScores {
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  const out: Record<string, number | null | undefined> = {};
  for (const [key, value] of Object.entries(scores) as [string, number | null | undefined][]) {
    out[key] = typeof value === 'number' ? round(value) : value;
  }
  return out;
}

function parseKinds(raw: string | undefined): SearchKind[] | undefined {
  if (raw === undefined) return undefined;
  const kinds = raw
    .split(',')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean);
  for (const k of kinds) {
    if (k !== 'image' && k !== 'video' && k !== 'text') {
      throw new EngineError('INVALID_INPUT', `--kinds takes image, video or text (got "${k}")`);
    }
  }
  return kinds as SearchKind[];
}

/** 75.5 → "1:15.5" */
function formatTime(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - 60 * m;
  return `${m}:${s < 10 ? '0' : ''}${s.toFixed(1)}`;
}

function parseDate(raw: string, flag: string): number {
  const ms = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw new EngineError(
      'INVALID_INPUT',
      `${flag} expects an ISO date (2024-05-01) or epoch milliseconds (got "${raw}")`,
    );
  }
  return ms;
}

function parseMinScore(raw: string | undefined): number | 'auto' | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'auto') return 'auto';
  const x = Number(raw);
  if (!Number.isFinite(x) || x < -1 || x > 1) {
    throw new EngineError(
      'INVALID_INPUT',
      `--min-score must be a number from -1 to 1, or "auto" (got "${raw}")`,
    );
  }
  return x;
}
