/** The query language shared by the CLI, the HTTP API and the page. */
import type { Item, ItemFilter, ItemKind, Shot, TagScore } from '../store/library.types.ts';

/** One part of a query. Weights default to 1; negative weights push results away. */
export type QueryTerm =
  | { readonly text: string; readonly weight?: number }
  | { readonly image: Uint8Array; readonly weight?: number }
  | { readonly itemId: number; readonly weight?: number }
  | { readonly vector: Float32Array; readonly weight?: number };

export interface SearchRequest {
  /** Which modality's items to return. */
  readonly target: ItemKind;
  readonly terms: readonly QueryTerm[];
  /** Page size (default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE; src/defaults.ts). */
  readonly k?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  readonly cursor?: string;
  /** Drop hits scoring below this cosine, or 'auto': cut where the scores drop off most. */
  readonly minScore?: number | 'auto';
  readonly filter?: ItemFilter;
  /** 'score' (default) or 'date': newest first within the relevant set. */
  readonly sort?: 'score' | 'date';
  readonly excludeIds?: readonly number[];
  /** 'near': one hit per near-duplicate group (the best-scoring one). */
  readonly collapse?: 'near';
  /**
   * Second stage: re-rank the first-stage top `k` (default: the ITM stage's, 32) with the model's
   * image–text matching stage. Needs words for image targets, a photo or image item for texts.
   * Later pages (cursor) page through the same re-ranked order without re-running it.
   */
  readonly rerank?: RerankOptions;
}

export interface RerankOptions {
  readonly k?: number;
}

/** Per-stage scores of a hit (#12 adds keyword/fused legs beside these). */
export interface HitScores {
  /** First-stage cosine. */
  readonly vector?: number;
  /** Image–text matching logit (re-ranked hits only). */
  readonly itm?: number;
}

export interface SearchHit {
  readonly item: Item;
  /**
   * The number the list is ranked by: the cosine of the (combined) query vector and the item's
   * vector, or, for re-ranked hits, itm + the stage's dual-encoder mix (see `scores`).
   */
  readonly score: number;
  /** Stored zero-shot tags (images), most probable first. */
  readonly tags?: readonly TagScore[];
  readonly scores?: HitScores;
  /** For a video: the shot that matched best (its time span; `score` is that shot's). */
  readonly shot?: Shot;
  /** For a caption (text hit): the indexed image it describes, hydrated by the service; absent otherwise. */
  readonly linkedImage?: Item;
}

export interface SearchPage {
  readonly results: readonly SearchHit[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  readonly nextCursor: string | null;
  /** Present when the second stage ran: which stage, how deep, and how many hits it re-ordered. */
  readonly rerank?: { readonly stage: string; readonly k: number; readonly reranked: number };
}
