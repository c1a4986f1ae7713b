/**
 * Retrieval recall@K for an image–caption benchmark, the way Flickr30k/COCO numbers are
 * reported: text→image ranks every image for each caption and hits when the caption's own image
 * is in the top K; image→text ranks every caption for each image that has captions and hits
 * when ANY of its captions is in the top K. Pure: vectors in, percentages out.
 *
 * Ranks are pessimistic about ties: a wrong item scoring exactly as high as the right one counts
 * as ranked above it, so a degenerate model (all scores equal) gets no free hits.
 */
import { EngineError } from '../errors.ts';

export interface RecallInput {
  /** One L2-normalised vector per image. */
  readonly images: readonly Float32Array[];
  /** One L2-normalised vector per caption. */
  readonly captions: readonly Float32Array[];
  /** For each caption, the index of its image in `images`. */
  readonly captionImage: readonly number[];
  /** Cut-offs, e.g. [1, 5, 10]. */
  readonly ks: readonly number[];
}

/** Percent hits per K, keyed `r<K>` (r1, r5, r10, …). */
export type RecallAtK = Record<string, number>;

export interface RecallResult {
  readonly t2i: RecallAtK;
  readonly i2t: RecallAtK;
  /** Queries actually scored in each direction. */
  readonly t2iQueries: number;
  readonly i2tQueries: number;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** How many of `scores` beat `target` (ties beat it too), excluding the listed own indexes. */
function rankOf(scores: Float64Array, target: number, own: ReadonlySet<number>): number {
  let rank = 0;
  for (let j = 0; j < scores.length; j++) if (!own.has(j) && scores[j]! >= target) rank++;
  return rank;
}

export function computeRecall(input: RecallInput): RecallResult {
  const { images, captions, captionImage, ks } = input;
  if (captionImage.length !== captions.length) {
    throw new EngineError(
      'INVALID_INPUT',
      `captionImage has ${captionImage.length} entries for ${captions.length} captions`,
    );
  }
  if (!ks.length || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new EngineError('INVALID_INPUT', `recall cut-offs must be positive integers, got ${ks.join(',')}`);
  }
  const dim = images[0]?.length ?? captions[0]?.length ?? 0;
  for (const v of [...images, ...captions]) {
    if (v.length !== dim) {
      throw new EngineError(
        'DIMENSION_MISMATCH',
        `vectors of length ${v.length} and ${dim} cannot be compared`,
      );
    }
  }
  const captionsOf: number[][] = images.map(() => []);
  captionImage.forEach((img, c) => {
    if (!Number.isInteger(img) || img < 0 || img >= images.length) {
      throw new EngineError(
        'INVALID_INPUT',
        `caption ${c} points at image ${img}, but there are ${images.length} images`,
      );
    }
    captionsOf[img]!.push(c);
  });

  // sims[c][i]: one caption row at a time keeps memory at O(images) per row.
  const sims = captions.map((cv) => Float64Array.from(images, (iv) => dot(cv, iv)));
  const t2iHits = ks.map(() => 0);
  sims.forEach((row, c) => {
    const own = captionImage[c]!;
    const rank = rankOf(row, row[own]!, new Set([own]));
    ks.forEach((k, i) => {
      if (rank < k) t2iHits[i]! += 1;
    });
  });

  const i2tHits = ks.map(() => 0);
  let i2tQueries = 0;
  const column = new Float64Array(captions.length);
  captionsOf.forEach((mine, img) => {
    if (!mine.length) return; // a distractor image: ranked against, never a query
    i2tQueries++;
    for (let c = 0; c < captions.length; c++) column[c] = sims[c]![img]!;
    const best = Math.max(...mine.map((c) => column[c]!));
    const rank = rankOf(column, best, new Set(mine));
    ks.forEach((k, i) => {
      if (rank < k) i2tHits[i]! += 1;
    });
  });

  const keyed = (hits: readonly number[], queries: number): RecallAtK =>
    Object.fromEntries(ks.map((k, i) => [`r${k}`, queries ? (100 * hits[i]!) / queries : 0]));
  return {
    t2i: keyed(t2iHits, captions.length),
    i2t: keyed(i2tHits, i2tQueries),
    t2iQueries: captions.length,
    i2tQueries,
  };
}
