/**
 * Fusing the vector leg (cosine) with the keyword leg (BM25) of a hybrid search. Pure.
 *
 * - RRF (reciprocal rank fusion, Cormack et al. 2009): Σ 1 / (k + rank); needs no tuning, k = 60.
 * - Convex combination (Bruch et al. 2023): α · vector + (1 − α) · keyword over normalised scores:
 *   cosine min–max over the vector candidates, BM25 divided by the best BM25 (its theoretical
 *   minimum is 0). A leg that did not return an item contributes 0.
 */
export type Fusion =
  { readonly method: 'rrf'; readonly k?: number } | { readonly method: 'convex'; readonly alpha: number };

export const DEFAULT_RRF_K = 60;
export const DEFAULT_FUSION: Fusion = { method: 'rrf', k: DEFAULT_RRF_K };
/** Convex weight on the vector leg when a request asks for convex without one (chosen by `clipdex eval --sweep-alpha`). */
export const DEFAULT_ALPHA = 0.5;

export interface LegHit {
  readonly id: number;
  readonly score: number;
}

export interface FusedHit {
  readonly id: number;
  readonly fused: number;
  /** Null where the leg did not return the item. */
  readonly vector: number | null;
  readonly keyword: number | null;
}

/** Both legs best first; the result is best first, ties broken by the vector leg, then id. */
export function fuse(
  vector: readonly LegHit[],
  keyword: readonly LegHit[],
  fusion: Fusion = DEFAULT_FUSION,
): FusedHit[] {
  const byId = new Map<
    number,
    { vector: number | null; keyword: number | null; vRank: number; kRank: number }
  >();
  vector.forEach((h, i) => byId.set(h.id, { vector: h.score, keyword: null, vRank: i + 1, kRank: Infinity }));
  keyword.forEach((h, i) => {
    const entry = byId.get(h.id);
    if (entry) {
      entry.keyword = h.score;
      entry.kRank = i + 1;
    } else byId.set(h.id, { vector: null, keyword: h.score, vRank: Infinity, kRank: i + 1 });
  });

  let score: (e: { vector: number | null; keyword: number | null; vRank: number; kRank: number }) => number;
  if (fusion.method === 'rrf') {
    const k = fusion.k ?? DEFAULT_RRF_K;
    score = (e) =>
      (Number.isFinite(e.vRank) ? 1 / (k + e.vRank) : 0) + (Number.isFinite(e.kRank) ? 1 / (k + e.kRank) : 0);
  } else {
    const alpha = fusion.alpha;
    const vScores = vector.map((h) => h.score);
    const vMin = Math.min(...vScores);
    const vSpan = Math.max(...vScores) - vMin;
    const kMax = Math.max(0, ...keyword.map((h) => h.score));
    score = (e) =>
      alpha * (e.vector === null ? 0 : vSpan > 0 ? (e.vector - vMin) / vSpan : 1) +
      (1 - alpha) * (e.keyword === null || kMax <= 0 ? 0 : e.keyword / kMax);
  }
  const out = [...byId].map(([id, e]) => ({
    id,
    fused: score(e),
    vector: e.vector,
    keyword: e.keyword,
    vRank: e.vRank,
  }));
  out.sort((a, b) => b.fused - a.fused || a.vRank - b.vRank || a.id - b.id);
  return out.map(({ id, fused, vector: v, keyword: kw }) => ({ id, fused, vector: v, keyword: kw }));
}

export function checkFusion(fusion: Fusion): string | undefined {
  if (fusion.method === 'rrf') {
    return fusion.k === undefined || (Number.isFinite(fusion.k) && fusion.k > 0)
      ? undefined
      : 'rrf k must be a positive number';
  }
  return Number.isFinite(fusion.alpha) && fusion.alpha >= 0 && fusion.alpha <= 1
    ? undefined
    : 'alpha must be a number from 0 to 1';
}
