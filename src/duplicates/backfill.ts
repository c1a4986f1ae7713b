/**
 * Perceptual hashes and fingerprints for images indexed before they existed: each such image is
 * read and decoded again (once), and both are stored. Files that are gone or no longer decode
 * are counted and left without (they stay out of the near tier, as before).
 */
import { readFile } from 'node:fs/promises';
import { pictureFingerprint } from '../image/fingerprint.ts';
import { perceptualHash } from '../image/perceptual-hash.ts';
import { decodeImage } from '../image/sharp-decoder.ts';
import type { Library } from '../store/library.types.ts';

export type BackfillLibrary = Pick<
  Library,
  'imagesWithoutSignature' | 'writeImageSignatures' | 'getItem' | 'resolvePath'
>;

export interface BackfillResult {
  /** Images that got a hash and fingerprint. */
  readonly filled: number;
  /** Images whose file is gone or no longer decodes. */
  readonly failed: number;
}

const PAGE = 200;

export async function backfillSignatures(
  library: BackfillLibrary,
  options: { readonly signal?: AbortSignal } = {},
): Promise<BackfillResult> {
  let filled = 0;
  let failed = 0;
  for (let after = 0; ;) {
    const ids = library.imagesWithoutSignature(after, PAGE);
    const entries: Array<{ id: number; phash: string; fingerprint: Uint8Array }> = [];
    for (const id of ids) {
      options.signal?.throwIfAborted();
      const item = library.getItem(id);
      const file = item ? library.resolvePath(item) : null;
      try {
        if (!file) throw new Error('no path');
        const decoded = await decodeImage(await readFile(file));
        entries.push({ id, phash: perceptualHash(decoded), fingerprint: pictureFingerprint(decoded) });
      } catch {
        failed++;
      }
    }
    library.writeImageSignatures(entries);
    filled += entries.length;
    if (ids.length < PAGE) break;
    after = ids[ids.length - 1]!;
  }
  return { filled, failed };
}
