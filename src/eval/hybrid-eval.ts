/**
 * Recall of the one search box on a labelled query set: each query names the images that answer
 * it and what can answer it — the pixels only, words only (file name, folder, metadata), or both
 * — so each leg's contribution is visible per subset. Pure: a ranking function in, percentages out.
 */
import { EngineError } from '../errors.ts';

export type QuerySubset = 'pixels' | 'words' | 'both';
export const QUERY_SUBSETS: readonly QuerySubset[] = ['pixels', 'words', 'both'];

export interface LabelledQuery {
  readonly query: string;
  /** Relative paths (uris) of the images that answer it. */
  readonly relevant: readonly string[];
  readonly subset: QuerySubset;
  readonly lang: string;
}

export interface SubsetRecall {
  readonly n: number;
  /** Percent of queries with a relevant image at rank 1 / within the top 5. */
  readonly r1: number;
  readonly r5: number;
}

export interface HybridEvalReport {
  readonly all: SubsetRecall;
  readonly subsets: Readonly<Record<QuerySubset, SubsetRecall>>;
  readonly langs: Readonly<Record<string, SubsetRecall>>;
}

export function parseLabelledQueries(text: string): LabelledQuery[] {
  const out: LabelledQuery[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: Partial<LabelledQuery>;
    try {
      row = JSON.parse(line) as Partial<LabelledQuery>;
    } catch {
      throw new EngineError('INVALID_INPUT', `queries line ${i + 1}: not JSON`);
    }
    if (
      typeof row.query !== 'string' ||
      !Array.isArray(row.relevant) ||
      !QUERY_SUBSETS.includes(row.subset as QuerySubset)
    ) {
      throw new EngineError(
        'INVALID_INPUT',
        `queries line ${i + 1}: needs query, relevant [...] and subset (${QUERY_SUBSETS.join('|')})`,
      );
    }
    out.push({
      query: row.query,
      relevant: row.relevant,
      subset: row.subset as QuerySubset,
      lang: typeof row.lang === 'string' ? row.lang : 'und',
    });
  });
  if (out.length === 0) throw new EngineError('INVALID_INPUT', 'the query file holds no queries');
  return out;
}

/** `rank(query)` returns the uris of the top hits (at least 5), best first. */
export async function runHybridEval(
  queries: readonly LabelledQuery[],
  rank: (query: string) => Promise<readonly string[]>,
): Promise<HybridEvalReport> {
  const rows: Array<{ q: LabelledQuery; hit1: boolean; hit5: boolean }> = [];
  for (const q of queries) {
    const top = await rank(q.query);
    const relevant = new Set(q.relevant);
    rows.push({
      q,
      hit1: top.slice(0, 1).some((u) => relevant.has(u)),
      hit5: top.slice(0, 5).some((u) => relevant.has(u)),
    });
  }
  const recall = (subset: typeof rows): SubsetRecall => ({
    n: subset.length,
    r1: pct(subset.filter((r) => r.hit1).length, subset.length),
    r5: pct(subset.filter((r) => r.hit5).length, subset.length),
  });
  const langs = [...new Set(queries.map((q) => q.lang))].sort();
  return {
    all: recall(rows),
    subsets: Object.fromEntries(
      QUERY_SUBSETS.map((s) => [s, recall(rows.filter((r) => r.q.subset === s))]),
    ) as Record<QuerySubset, SubsetRecall>,
    langs: Object.fromEntries(langs.map((l) => [l, recall(rows.filter((r) => r.q.lang === l))])),
  };
}

function pct(hits: number, n: number): number {
  return n === 0 ? 0 : Math.round((1000 * hits) / n) / 10;
}
