/**
 * One call for the indexer: image bytes → PhotoMetadata. Never throws; whatever could not be read
 * is null with the reason in `problems`.
 */
import { readEmbeddedMetadata } from '../image/sharp-decoder.ts';
import { emptyPhotoMetadata, type PhotoMetadata } from './photo-metadata.types.ts';
import { readPhotoMetadata } from './read-photo-metadata.ts';

export async function extractPhotoMetadata(bytes: Uint8Array): Promise<PhotoMetadata> {
  try {
    return await readPhotoMetadata(await readEmbeddedMetadata(bytes));
  } catch (error) {
    return emptyPhotoMetadata([
      `metadata: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300),
    ]);
  }
}
