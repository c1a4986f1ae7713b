/**
 * The photo fields every hit carries (API, CLI `search --json`): capture date with its source,
 * camera, GPS, keywords, description. A photo's capture date comes from its embedded metadata
 * (`metadata.photo`), a video's from its container (`metadata.takenAt`, source "video"); either
 * falls back to the file's mtime ("file").
 */
import type { Item } from '../store/library.types.ts';
import type { GeoPoint, PhotoMetadata, TakenAtSource } from './photo-metadata.types.ts';

export interface PhotoFacts {
  readonly takenAt: string | null;
  readonly takenAtSource: TakenAtSource | null;
  readonly camera: string | null;
  readonly gps: GeoPoint | null;
  readonly keywords: readonly string[];
  readonly description: string | null;
}

export function photoMetadataOf(item: Item): PhotoMetadata | undefined {
  const photo = item.metadata?.photo;
  return typeof photo === 'object' && photo !== null ? (photo as PhotoMetadata) : undefined;
}

/** A video's capture date from its container (written by the indexer beside duration, codec, …). */
function videoCapture(item: Item): { takenAt: string; takenAtMs: number } | undefined {
  const meta = item.metadata;
  if (item.kind !== 'video' || typeof meta?.takenAt !== 'string' || typeof meta.takenAtMs !== 'number') {
    return undefined;
  }
  return { takenAt: meta.takenAt, takenAtMs: meta.takenAtMs };
}

/** Capture date in epoch ms, else the file's mtime; items with neither sort last (sort: taken). */
export function takenAtMs(item: Item): number {
  const photo = photoMetadataOf(item);
  if (typeof photo?.takenAtMs === 'number') return photo.takenAtMs;
  return videoCapture(item)?.takenAtMs ?? item.mtimeMs ?? -Infinity;
}

export function photoFacts(item: Item): PhotoFacts {
  const photo = photoMetadataOf(item);
  const video = videoCapture(item);
  const fromFile = (item.kind === 'image' || item.kind === 'video') && item.mtimeMs !== null;
  return {
    takenAt: photo?.takenAt ?? video?.takenAt ?? (fromFile ? new Date(item.mtimeMs).toISOString() : null),
    takenAtSource: photo?.takenAt
      ? (photo.takenAtSource ?? null)
      : video
        ? 'video'
        : fromFile
          ? 'file'
          : null,
    camera: photo?.camera ?? null,
    gps: photo?.gps ?? null,
    keywords: photo?.keywords ?? [],
    description: photo?.description ?? null,
  };
}
