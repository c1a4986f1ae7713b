/**
 * Recall@K after a second stage: each query's first-stage top k (by cosine) is re-scored by an
 * ITM stage and re-ordered (score = itm + mix × cosine, as search does); a target that was not in
 * the top k keeps its first-stage rank, so re-ranking can only move items inside the window.
 */
import { EngineError } from '../errors.ts';
import type { RecallAtK, RecallResult } from './recall.ts';

export interface RerankRecallInput {
  readonly images: readonly Float32Array[];
  readonly captions: readonly Float32Array[];
  readonly captionImage: readonly number[];
  readonly ks: readonly number[];
  /** First-stage depth re-ranked per query. */
  readonly k: number;
  /** dualWeight × dualLogitScale of the stage. */
  readonly mix: number;
  /** ITM logits of caption `c` against the given images. */
  readonly scoreT2I: (caption: number, images: readonly number[]) => Promise<Float32Array>;
  /** ITM logits of image `i` against the given captions. */
  readonly scoreI2T: (image: number, captions: readonly number[]) => Promise<Float32Array>;
  readonly signal?: AbortSignal;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Indices of the k best scores, best first (ties: lower index first). */
function topK(scores: Float64Array, k: number): number[] {
  const idx = Array.from(scores.keys());
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, k);
}

/** Pessimistic first-stage rank of the best of `targets` (others tying count as above). */
function firstStageRank(scores: Float64Array, targets: readonly number[]): number {
  const own = new Set(targets);
  const best = Math.max(...targets.map((t) => scores[t]!));
  let rank = 0;
  for (let j = 0; j < scores.length; j++) if (!own.has(j) && scores[j]! >= best) rank++;
  return rank;
}

async function rankAfterRerank(
  scores: Float64Array,
  targets: readonly number[],
  k: number,
  mix: number,
  score: (window: readonly number[]) => Promise<Float32Array>,
): Promise<number> {
  const window = topK(scores, k);
  const own = new Set(targets);
  if (!window.some((w) => own.has(w))) return firstStageRank(scores, targets);
  const itm = await score(window);
  const combined = window.map((w, i) => itm[i]! + mix * scores[w]!);
  const best = Math.max(...window.flatMap((w, i) => (own.has(w) ? [combined[i]!] : [])));
  // Pessimistic about ties, like the first-stage ranks.
  return window.reduce((rank, w, i) => (!own.has(w) && combined[i]! >= best ? rank + 1 : rank), 0);
}

export async function computeRerankedRecall(input: RerankRecallInput): Promise<RecallResult> {
  const { images, captions, captionImage, ks, k, mix } = input;
  if (!Number.isInteger(k) || k < 1) {
    throw new EngineError('INVALID_INPUT', `rerank k must be a positive integer, got ${k}`);
  }
  const captionsOf: number[][] = images.map(() => []);
  captionImage.forEach((img, c) => captionsOf[img]?.push(c));
  const check = () => {
    if (input.signal?.aborted) throw new EngineError('ABORTED', 'evaluation cancelled');
  };

  const t2iHits = ks.map(() => 0);
  for (let c = 0; c < captions.length; c++) {
    check();
    const row = Float64Array.from(images, (iv) => dot(captions[c]!, iv));
    const rank = await rankAfterRerank(row, [captionImage[c]!], k, mix, (window) =>
      input.scoreT2I(c, window),
    );
    ks.forEach((cut, i) => {
      if (rank < cut) t2iHits[i]! += 1;
    });
  }

  const i2tHits = ks.map(() => 0);
  let i2tQueries = 0;
  for (let img = 0; img < images.length; img++) {
    const mine = captionsOf[img]!;
    if (!mine.length) continue;
    check();
    i2tQueries++;
    const column = Float64Array.from(captions, (cv) => dot(cv, images[img]!));
    const rank = await rankAfterRerank(column, mine, k, mix, (window) => input.scoreI2T(img, window));
    ks.forEach((cut, i) => {
      if (rank < cut) i2tHits[i]! += 1;
    });
  }
  const keyed = (hits: readonly number[], queries: number): RecallAtK =>
    Object.fromEntries(ks.map((cut, i) => [`r${cut}`, queries ? (100 * hits[i]!) / queries : 0]));
  return {
    t2i: keyed(t2iHits, captions.length),
    i2t: keyed(i2tHits, i2tQueries),
    t2iQueries: captions.length,
    i2tQueries,
  };
}
