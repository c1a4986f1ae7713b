/**
 * One home for the defaults and limits that the CLI, the engine, the HTTP schemas (and so the OpenAPI
 * document) and the page share, so they cannot drift. The page (server/public) asks without `k` and
 * gets DEFAULT_PAGE_SIZE from the server.
 */

/**
 * HNSW search breadth (efSearch) of a new library, and of one that stored a former default
 * (src/store/meta.repository.ts). 240, the smallest tried that keeps recall@10 ≥ 0.99 against exact
 * search for text queries over real image embeddings (bench/embedding-set.ts: 450k clipdex-mini
 * embeddings of composed emoji scenes, one 420k segment + 30k; 500 queries, benchlock, 2 vCPUs,
 * load 3–5): ef 96 / 112 / 128 / 192 / 240 / 256 gave 0.978 / 0.980 / 0.983 / 0.988 / 0.990 /
 * 0.991 on the split the value was chosen on, 0.978 / 0.980 / 0.982 / 0.991 / 0.993 / 0.993 on a
 * held-out split, at p50 0.54 / 0.64 / 0.76 / 0.88 / 1.05 / 1.12 ms. A text query sits across the
 * modality gap, where every image is about equally far (its 20th neighbour 4–9 % farther than the
 * first, bench/intrinsic-dim.ts): the graph needs a wider search than image → image (0.993 at 96,
 * 0.997 at 256) or the synthetic `lowrank` data (1M, 2 × 500k: 0.983 at 96, 0.998 at 256, p50
 * 0.90 / 1.39 ms). Cost: about 2× a query's work at ef 96 (texts, 210k: p50 0.33 ms at 96,
 * 0.67 / 0.83 ms at 192 / 256), and more where equal segments each get the full ef: the same 450k
 * built as 2 × 220k + 10k gave 0.988 / 0.992 / 0.996 at ef 96 / 128 / 240, p50 0.83 / 1.02 /
 * 1.82 ms, so at 1M (2 × ~500k) p50 at 240 is near 2 ms (not measured on real embeddings).
 */
export const DEFAULT_EF_SEARCH = 240;
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
