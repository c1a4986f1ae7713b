/** The JSON shape of items and hits, the same on every route. */
import { photoFacts, type PhotoFacts } from '../../src/metadata/photo-facts.ts';
import type { HitScores, SearchHit } from '../../src/search/search.types.ts';
import type { Item, Shot } from '../../src/store/library.types.ts';

export interface ItemView extends PhotoFacts {
  readonly id: number;
  readonly kind: Item['kind'];
  readonly uri: string;
  readonly text: string | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly format: string | null;
  readonly size: number | null;
  /** ISO 8601, from the file's mtime; null for texts with no file. */
  readonly modifiedAt: string | null;
  /** Thumbnail URL (images only); the `v` parameter changes when the file does, so it caches forever. */
  readonly thumbnailUrl: string | null;
  /** Original bytes (images) or the text as text/plain. */
  readonly fileUrl: string;
}

export interface LinkedImageView {
  readonly id: number;
  readonly uri: string;
  readonly thumbnailUrl: string;
}

export interface HitView extends ItemView {
  /** The number the list is ranked by: the fused score (hybrid), the cosine (vector) or BM25 (keyword); for re-ranked hits itm + the dual-encoder logit. */
  readonly score: number;
  /** For a caption: the image it describes (the first linked one); null otherwise. */
  readonly linkedImage: LinkedImageView | null;
  /** Stored zero-shot tags ({label, score}, most probable first); [] when none. */
  readonly tags: readonly { readonly label: string; readonly score: number }[];
  /** Videos only (issue 14): the best shot's span in seconds, and its item id. */
  readonly start?: number;
  readonly end?: number;
  readonly shotId?: number;
  /** Each leg's score (null where that leg did not return the hit), the fused one, and itm for re-ranked hits. */
  readonly scores: HitScores;
  /** Keyword fields the words matched: name, folders, captions, keywords, title, description, people, camera. */
  readonly matched: readonly string[];
}

/** A shot as GET /api/items/:id/shots lists it. */
export interface ShotView {
  readonly id: number;
  readonly position: number;
  readonly start: number;
  readonly end: number;
  readonly thumbnailUrl: string;
  /** Cosine to the query, when one was given. */
  readonly score?: number;
}

export function thumbnailVersion(item: Item): string {
  return (item.contentHash ?? String(item.updatedAt)).slice(0, 16);
}

export function itemView(item: Item): ItemView {
  return {
    id: item.id,
    kind: item.kind,
    uri: item.uri,
    text: item.text,
    width: item.width,
    height: item.height,
    format: item.format,
    size: item.size,
    modifiedAt: item.mtimeMs === null ? null : new Date(item.mtimeMs).toISOString(),
    thumbnailUrl: item.kind === 'text' ? null : `/api/items/${item.id}/thumbnail?v=${thumbnailVersion(item)}`,
    fileUrl: `/api/items/${item.id}/file`,
    ...photoFacts(item),
  };
}

export function hitView(hit: SearchHit): HitView {
  const linkedImage = hit.linkedImage;
  const image = linkedImage
    ? { id: linkedImage.id, uri: linkedImage.uri, thumbnailUrl: itemView(linkedImage).thumbnailUrl! }
    : null;
  // Scores travel rounded: six digits are far below what distinguishes two results.
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  // Every hit explains itself: each leg (null where it did not return the hit), the fused score, and itm when re-ranked.
  const raw: HitScores = { vector: hit.score, keyword: null, fused: hit.score, ...hit.scores };
  const scores = Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, typeof v === 'number' ? round(v) : (v ?? null)]),
  ) as HitScores;
  const view: HitView = {
    ...itemView(hit.item),
    score: round(hit.score),
    scores,
    matched: hit.matched ?? [],
    linkedImage: image,
    tags: hit.tags ?? [],
  };
  if (!hit.shot) return view;
  return {
    ...view,
    thumbnailUrl: shotView(hit.item, hit.shot).thumbnailUrl,
    start: hit.shot.start,
    end: hit.shot.end,
    shotId: hit.shot.id,
  };
}

export function shotView(video: Item, shot: Shot, score?: number): ShotView {
  return {
    id: shot.id,
    position: shot.position,
    start: shot.start,
    end: shot.end,
    // Shot thumbnails change only when the video is re-indexed, i.e. with the video's version.
    thumbnailUrl: `/api/items/${shot.id}/thumbnail?v=${thumbnailVersion(video)}`,
    ...(score === undefined ? {} : { score: Math.round(score * 1e6) / 1e6 }),
  };
}
