/**
 * The best BM25 matches of any of several words without scoring every match. FTS5 scores every
 * document an expression matches, whatever the LIMIT; at 100k items a place name can be in 5 % of
 * the library, so "beach paris" scored ~7k documents to keep 64 (issue 12's hybrid latency).
 *
 * The matches of `p1 OR … OR pm` fall into disjoint groups by which phrases a document holds:
 * `(p1 AND p3) NOT (p2)`, … A document's FTS5 bm25 is the same in its group's query as in the OR
 * query, bit for bit: the phrase list is the same (FTS5 computes IDF per phrase, over the whole
 * index), a phrase the document lacks adds exactly 0, and the phrases it holds are summed in the
 * same order (the AND side keeps the query's order, the NOT side holds only absent phrases).
 * BM25 saturates: a phrase adds less than (k1 + 1) · IDF however often it occurs, so a group
 * scores below the sum of its phrases' ceilings. Groups run best ceiling first; once `limit` hits
 * are in hand and the limit-th scores more than the next group's ceiling, nothing left can enter
 * (MaxScore with per-query bounds; no statistics are stored). Words that often occur together (a
 * subject and a place) settle after the group holding both. When it would not pay (one phrase,
 * many phrases, or the budget of group queries spent without settling) the caller runs the OR.
 */

/** FTS5's bm25 constants (fts5_aux.c): k1 = 1.2, b = 0.75; a phrase adds < (k1 + 1) · IDF. */
const BM25_K1 = 1.2;
/** FTS5 floors an IDF at this (a phrase in more than half the rows). */
const MIN_IDF = 1e-6;
/** More phrases than this make 2^m groups and bounds too loose to pay: the OR answers. */
export const MAX_GROUPED_PHRASES = 6;

export interface RankedRow {
  readonly id: number;
  /** FTS5 bm25: negative, lower is better. */
  readonly bm25: number;
}

/** What the grouping needs from the index (KeywordRepository answers over keyword_fts). */
export interface Bm25Source {
  /** The best `limit` matches of an expression by bm25 (with the store's column weights), ties by rowid. */
  ranked(expression: string, limit: number): RankedRow[];
  /** How many documents an expression matches. */
  count(expression: string): number;
  /** Documents in the index: the N of FTS5's IDF. */
  rowCount(): number;
}

/**
 * The best `limit` matches of `phrases.join(' OR ')`, exactly as `source.ranked` would return
 * them, or undefined when the groups did not settle within the budget (run the OR then). Call it
 * inside one read transaction, so every query sees the same index.
 */
export function bestOfAny(
  source: Bm25Source,
  phrases: readonly string[],
  limit: number,
): RankedRow[] | undefined {
  const m = phrases.length;
  if (m < 2 || m > MAX_GROUPED_PHRASES || limit < 1) return undefined;
  const n = source.rowCount();
  const counts = phrases.map((p) => source.count(p));
  const ceilings = counts.map((hits) => (BM25_K1 + 1) * idfCeiling(n, hits));
  const groups: Array<{ mask: number; ceiling: number }> = [];
  for (let mask = 1; mask < 1 << m; mask++) {
    let ceiling = 0;
    let empty = false;
    for (let i = 0; i < m; i++) {
      if ((mask & (1 << i)) === 0) continue;
      ceiling += ceilings[i]!;
      if (counts[i] === 0) empty = true;
    }
    if (!empty) groups.push({ mask, ceiling });
  }
  // Best ceiling first; among equal ceilings the group of more phrases (fewer documents) first.
  groups.sort((a, b) => b.ceiling - a.ceiling || popCount(b.mask) - popCount(a.mask) || a.mask - b.mask);

  let best: RankedRow[] = [];
  let queries = 0;
  for (const group of groups) {
    if (best.length >= limit && -best[limit - 1]!.bm25 > group.ceiling) return best;
    if (queries === m) return undefined;
    queries++;
    const rows = source.ranked(groupExpression(phrases, group.mask), limit);
    best = [...best, ...rows].sort(byRank).slice(0, limit);
  }
  return best;
}

/** Documents holding exactly the phrases in `mask`: `(a AND c) NOT (b OR d)`, phrases in query order. */
export function groupExpression(phrases: readonly string[], mask: number): string {
  const held = phrases.filter((_, i) => (mask & (1 << i)) !== 0);
  const lacking = phrases.filter((_, i) => (mask & (1 << i)) === 0);
  const all = `(${held.join(' AND ')})`;
  return lacking.length === 0 ? all : `${all} NOT (${lacking.join(' OR ')})`;
}

/**
 * At least FTS5's IDF for a phrase in `hits` of `rows` documents: log((N − n + 0.5) / (n + 0.5)),
 * floored at 1e-6; widened by a relative 1e-9 so a last-bit difference between this log and the C
 * library's can never make it smaller.
 */
export function idfCeiling(rows: number, hits: number): number {
  const idf = Math.log((rows - hits + 0.5) / (hits + 0.5));
  return Math.max(MIN_IDF, idf) * (1 + 1e-9) + 1e-12;
}

function byRank(a: RankedRow, b: RankedRow): number {
  return a.bm25 - b.bm25 || a.id - b.id;
}

function popCount(mask: number): number {
  let count = 0;
  for (let x = mask; x !== 0; x &= x - 1) count++;
  return count;
}
