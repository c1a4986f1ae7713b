/**
 * The photo fields every hit carries (API, CLI `search --json`): capture date with its source,
 * camera, GPS, keywords, description. The capture date falls back to the file's mtime ("file").
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

export function photoFacts(item: Item): PhotoFacts {
  const photo = photoMetadataOf(item);
  const fromFile = item.kind === 'image' && item.mtimeMs !== null;
  const takenAt = photo?.takenAt ?? (fromFile ? new Date(item.mtimeMs).toISOString() : null);
  return {
    takenAt,
    takenAtSource: photo?.takenAt ? (photo.takenAtSource ?? null) : fromFile ? 'file' : null,
    camera: photo?.camera ?? null,
    gps: photo?.gps ?? null,
    keywords: photo?.keywords ?? [],
    description: photo?.description ?? null,
  };
}
