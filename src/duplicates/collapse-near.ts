/**
 * `collapse: "near"` for search: one hit per near-duplicate group. Hits are walked best first;
 * a hit is dropped when an earlier kept hit has the same bytes, or the same picture (perceptual
 * hashes within the near distance, embeddings and fingerprints confirming it), the same rule as
 * the near tier.
 */
import type { Library } from '../store/library.types.ts';
import { hammingDistance } from '../image/perceptual-hash.ts';
import { cosine } from '../vector/vector-math.ts';
import { fingerprintMatch } from '../image/fingerprint.ts';
import type { DuplicateThresholds } from './duplicate.types.ts';

interface Collapsible {
  readonly item: {
    readonly id: number;
    readonly contentHash: string | null;
    readonly width?: number | null;
    readonly height?: number | null;
  };
}

export function collapseNear<H extends Collapsible>(
  hits: readonly H[],
  library: Pick<Library, 'perceptualHashes' | 'getVector' | 'fingerprints'>,
  thresholds: DuplicateThresholds,
): H[] {
  const hashes = library.perceptualHashes(hits.map((h) => h.item.id));
  const prints = library.fingerprints(hits.map((h) => h.item.id));
  const aspect = (h: H): number => (h.item.width && h.item.height ? h.item.width / h.item.height : 1);
  const samePicture = (a: H, b: H): boolean => {
    const fa = prints.get(a.item.id);
    const fb = prints.get(b.item.id);
    return !fa || !fb || fingerprintMatch(fa, aspect(a), fb, aspect(b)) >= thresholds.nearMinMatch;
  };
  const kept: Array<{ hit: H; phash: string | undefined; vector: Float32Array | undefined }> = [];
  const bytes = new Set<string>();
  for (const hit of hits) {
    if (hit.item.contentHash && bytes.has(hit.item.contentHash)) continue;
    const phash = hashes.get(hit.item.id);
    let vector: Float32Array | undefined;
    let same = false;
    if (phash) {
      for (const k of kept) {
        if (!k.phash || hammingDistance(phash, k.phash) > thresholds.nearMaxDistance) continue;
        vector ??= library.getVector(hit.item.id);
        if (
          vector &&
          k.vector &&
          cosine(vector, k.vector) >= thresholds.nearMinCosine &&
          samePicture(hit, k.hit)
        ) {
          same = true;
          break;
        }
      }
    }
    if (same) continue;
    if (hit.item.contentHash) bytes.add(hit.item.contentHash);
    kept.push({ hit, phash, vector: phash ? (vector ?? library.getVector(hit.item.id)) : undefined });
  }
  return kept.map((k) => k.hit);
}
