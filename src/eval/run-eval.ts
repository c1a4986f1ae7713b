/**
 * Runs a retrieval benchmark through a loaded model exactly as search does — the model's own
 * preprocessor, tokenizer and ONNX towers — so the numbers describe what users get.
 */
import { readFile } from 'node:fs/promises';
import type { ClipModel } from '../model/model.types.ts';
import { EngineError, fromFsError } from '../errors.ts';
import type { EvalManifest } from './eval-manifest.ts';
import { computeRecall, type RecallAtK } from './recall.ts';

export interface EvalReport {
  readonly t2i: RecallAtK;
  readonly i2t: RecallAtK;
  readonly images: number;
  readonly captions: number;
  /** Images that have at least one caption (the image→text queries). */
  readonly queryImages: number;
}

export interface EvalOptions {
  readonly ks?: readonly number[];
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each encoded batch. */
  readonly onProgress?: (done: number, total: number, phase: 'images' | 'captions') => void;
  /** Injected for tests; defaults to fs.readFile. */
  readonly readBytes?: (file: string) => Promise<Uint8Array>;
}

type EvalModel = Pick<ClipModel, 'text' | 'image' | 'preprocessor'>;

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError('ABORTED', 'evaluation cancelled');
}

export async function runEval(model: EvalModel, manifest: EvalManifest, options: EvalOptions = {}): Promise<EvalReport> {
  const ks = options.ks ?? [1, 5, 10];
  const batch = Math.max(1, options.batchSize ?? 64);
  const read = options.readBytes ?? ((file: string) => readFile(file));
  const { entries } = manifest;

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

  const result = computeRecall({ images, captions, captionImage, ks });
  return { t2i: result.t2i, i2t: result.i2t, images: images.length, captions: captions.length, queryImages: result.i2tQueries };
}
