/**
 * Runs a retrieval benchmark through a loaded model exactly as search does — the model's own
 * preprocessor, tokenizer and ONNX towers — so the numbers describe what users get.
 */
import { readFile } from 'node:fs/promises';
import type { ClipModel } from '../model/model.types.ts';
import { EngineError, fromFsError } from '../errors.ts';
import type { EvalManifest } from './eval-manifest.ts';
import { computeRecall, type RecallAtK } from './recall.ts';
import { computeRerankedRecall } from './rerank-recall.ts';

export interface EvalReport {
  readonly t2i: RecallAtK;
  readonly i2t: RecallAtK;
  readonly images: number;
  readonly captions: number;
  /** Images that have at least one caption (the image→text queries). */
  readonly queryImages: number;
  /** Present when a second stage re-ranked each query's first-stage top k. */
  readonly rerank?: { readonly stage: string; readonly k: number; readonly score: string };
}

export interface EvalOptions {
  readonly ks?: readonly number[];
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each encoded batch. */
  readonly onProgress?: (done: number, total: number, phase: 'images' | 'captions') => void;
  /** Injected for tests; defaults to fs.readFile. */
  readonly readBytes?: (file: string) => Promise<Uint8Array>;
  /** Re-rank each query's first-stage top k with the model's ITM stage. */
  readonly rerank?: { readonly k?: number };
}

type EvalModel = Pick<ClipModel, 'text' | 'image' | 'preprocessor' | 'itm'>;

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError('ABORTED', 'evaluation cancelled');
}

export async function runEval(
  model: EvalModel,
  manifest: EvalManifest,
  options: EvalOptions = {},
): Promise<EvalReport> {
  const ks = options.ks ?? [1, 5, 10];
  const batch = Math.max(1, options.batchSize ?? 64);
  const read = options.readBytes ?? ((file: string) => readFile(file));
  const { entries } = manifest;

  const itm = options.rerank ? model.itm : undefined;
  if (options.rerank && !itm) {
    throw new EngineError(
      'RERANK_UNAVAILABLE',
      'this model has no image–text matching stage, so it cannot re-rank; evaluate without --rerank',
    );
  }
  const states: Uint8Array[] = [];
  const images: Float32Array[] = [];
  for (let start = 0; start < entries.length; start += batch) {
    checkAborted(options.signal);
    const slice = entries.slice(start, start + batch);
    const tensors: Float32Array[] = [];
    for (const entry of slice) {
      let bytes: Uint8Array;
      try {
        bytes = await read(entry.image);
      } catch (error) {
        throw fromFsError(error, `eval image ${entry.image}`);
      }
      tensors.push((await model.preprocessor.preprocess(bytes)).pixels);
    }
    images.push(...(await model.image.encodeBatch(tensors)));
    if (itm) {
      states.push(
        ...(itm.info.sharesPixels
          ? await itm.imageFeatures(tensors)
          : await Promise.all(slice.map(async (e) => itm.imageFeaturesFromBytes(await read(e.image))))),
      );
    }
    options.onProgress?.(images.length, entries.length, 'images');
  }

  const texts: string[] = [];
  const captionImage: number[] = [];
  entries.forEach((entry, i) => {
    for (const caption of entry.captions) {
      texts.push(caption);
      captionImage.push(i);
    }
  });
  const captions: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += batch) {
    checkAborted(options.signal);
    captions.push(...(await model.text.encodeBatch(texts.slice(start, start + batch))));
    options.onProgress?.(captions.length, texts.length, 'captions');
  }

  if (itm) {
    const k = options.rerank?.k ?? itm.info.defaultK;
    const mix = itm.info.dualWeight * itm.info.dualLogitScale;
    const result = await computeRerankedRecall({
      images,
      captions,
      captionImage,
      ks,
      k,
      mix,
      scoreT2I: (c, window) =>
        itm.scoreText(
          texts[c]!,
          window.map((i) => states[i]!),
        ),
      scoreI2T: (img, window) =>
        itm.scoreImage(
          states[img]!,
          window.map((c) => texts[c]!),
        ),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const score = mix === 0 ? 'itm' : `itm + ${itm.info.dualWeight} × ${itm.info.dualLogitScale} × cosine`;
    return {
      t2i: result.t2i,
      i2t: result.i2t,
      images: images.length,
      captions: captions.length,
      queryImages: result.i2tQueries,
      rerank: { stage: itm.info.name, k, score },
    };
  }
  const result = computeRecall({ images, captions, captionImage, ks });
  return {
    t2i: result.t2i,
    i2t: result.i2t,
    images: images.length,
    captions: captions.length,
    queryImages: result.i2tQueries,
  };
}
