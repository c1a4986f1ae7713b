/** The query language shared by the CLI, the HTTP API and the page. */
import type { Item, ItemFilter, ItemKind, TagScore } from '../store/library.types.ts';

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
}

export interface SearchHit {
  readonly item: Item;
  /** Cosine similarity of the (combined) query vector and the item's vector. */
  readonly score: number;
  /** Stored zero-shot tags (images), most probable first. */
  readonly tags?: readonly TagScore[];
}

export interface SearchPage {
  readonly results: readonly SearchHit[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  readonly nextCursor: string | null;
}
