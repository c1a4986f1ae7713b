/**
 * `collapse: "near"` for search: one hit per near-duplicate group. Hits are walked best first;
 * a hit is dropped when an earlier kept hit has the same bytes, or the same picture (perceptual
 * hashes within the near distance and embeddings confirming it), the same rule as the near tier.
 */
import type { Library } from '../store/library.types.ts';
import { hammingDistance } from '../image/perceptual-hash.ts';
import { cosine } from '../vector/vector-math.ts';
import type { DuplicateThresholds } from './duplicate.types.ts';

interface Collapsible {
  readonly item: { readonly id: number; readonly contentHash: string | null };
}

export function collapseNear<H extends Collapsible>(
  hits: readonly H[],
  library: Pick<Library, 'perceptualHashes' | 'getVector'>,
  thresholds: DuplicateThresholds,
): H[] {
  const hashes = library.perceptualHashes(hits.map((h) => h.item.id));
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
        if (vector && k.vector && cosine(vector, k.vector) >= thresholds.nearMinCosine) {
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
