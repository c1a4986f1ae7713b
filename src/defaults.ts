/**
 * One home for the defaults and limits that the CLI, the engine, the HTTP schemas (and so the OpenAPI
 * document) and the page share, so they cannot drift. The page (server/public) asks without `k` and
 * gets DEFAULT_PAGE_SIZE from the server.
 */

/** Results per page when the caller does not say. */
export const DEFAULT_PAGE_SIZE = 24;
/** Largest page a caller may ask for (`k`). */
export const MAX_PAGE_SIZE = 200;
/** Deepest rank reachable by paging: HNSW search cost grows with it. */
export const MAX_RESULT_DEPTH = 2000;
/** Longest query text, in characters. */
export const MAX_QUERY_CHARS = 1000;
/** Most terms in one weighted query. */
export const MAX_TERMS = 16;
/** Deepest first-stage window the second stage (ITM re-ranking) re-orders; BLIP re-ranks 256. */
export const MAX_RERANK_K = 256;
/**
 * Neighbour pairs stored when an image is written (src/duplicates/neighbour-links.ts): pairs at
 * or above `floor` cosine among an image's `k` nearest, searched with HNSW breadth `ef`. The
 * floor sits below the near and similar defaults so those stay adjustable without a rescan.
 */
export const NEIGHBOUR_LINKS = Object.freeze({ floor: 0.85, k: 16, ef: 32 });
/**
 * How deep each leg of a hybrid search is read before fusing: an item can rise from this rank in
 * one leg to the top of the page.
 * - RRF (the default) uses only ranks: 64, below the graph's search breadth (efSearch, DEFAULT_HNSW
 *   in src/store/meta.repository.ts), so the vector leg of a hybrid query walks the graph about as
 *   a vector-only query does (depth 100 cost +1.8 ms CPU per query at 100k items when efSearch was
 *   64, bench/hybrid-latency.ts). `clipdex eval` on fixtures/hybrid-eval: identical R@1/R@5 on every
 *   mode and subset at 64 and 100.
 * - Convex fusion min–max normalises cosine over the candidates read, so its scores depend on the
 *   depth: at 64 the eval lost hybrid R@1 (96.2 → 94.2, words 100 → 95.8, at α 0.5); it stays at 100.
 */
export const RRF_FUSION_DEPTH = 64;
export const CONVEX_FUSION_DEPTH = 100;
