/** The query language shared by the CLI, the HTTP API and the page. */
import type { Item, ItemFilter, ItemKind, Shot, TagScore } from '../store/library.types.ts';
import type { Fusion } from './fusion.ts';

/** vector: pixels/meaning only; keyword: names, captions and metadata only; hybrid (default): both, fused. */
export type SearchMode = 'hybrid' | 'vector' | 'keyword';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'vector', 'keyword'];

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
  /**
   * 'score' (default); 'date': newest file mtime first within the relevant set; 'taken': newest
   * capture date (EXIF/XMP/IPTC, else mtime) first, then relevance.
   */
  readonly sort?: 'score' | 'date' | 'taken';
  /** Default 'hybrid': the words also search names, captions and metadata (FTS5), fused with the vectors. */
  readonly mode?: SearchMode;
  /** How hybrid fuses the two legs; default RRF with k = 60 (or the service's configured default). */
  readonly fusion?: Fusion;
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

/** Why a hit ranks where it does: each first-stage leg (null where it did not return the item), the fused score, and the second stage. */
export interface HitScores {
  /** First-stage cosine of the query vector and the item's vector; null when the vector leg did not return it. */
  readonly vector?: number | null;
  /** BM25 of the words over the item's names, captions and metadata; null when the keyword leg did not return it. */
  readonly keyword?: number | null;
  /** The fused first-stage score (RRF or convex combination; the one leg's score when only one answered). */
  readonly fused?: number | null;
  /** Image–text matching logit (re-ranked hits only). */
  readonly itm?: number;
}

export interface SearchHit {
  readonly item: Item;
  /**
   * The number the list is ranked by: the fused score in hybrid mode when the keyword leg matched
   * something, else the cosine similarity (vector) or BM25 (keyword); for re-ranked hits, itm + the
   * stage's dual-encoder mix (see `scores`).
   */
  readonly score: number;
  /** Stored zero-shot tags (images), most probable first. */
  readonly tags?: readonly TagScore[];
  readonly scores?: HitScores;
  /** For a video: the shot that matched best (its time span; `score` is that shot's). */
  readonly shot?: Shot;
  /** For a caption (text hit): the indexed image it describes, hydrated by the service; absent otherwise. */
  readonly linkedImage?: Item;
  /** Keyword fields the words matched (name, folders, captions, keywords, title, description, people, camera). */
  readonly matched?: readonly string[];
}

export interface SearchPage {
  readonly results: readonly SearchHit[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  readonly nextCursor: string | null;
  /** Present when the second stage ran: which stage, how deep, and how many hits it re-ordered. */
  readonly rerank?: { readonly stage: string; readonly k: number; readonly reranked: number };
}
