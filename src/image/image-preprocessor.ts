/**
 * The ImagePreprocessor a model hands out: decode (sharp: orientation, white matte, 8-bit sRGB)
 * → resize of the kept window (centre crop; Pillow-exact, or libvips cubic for big reductions in
 * 'fast' mode) → rescale + mean/std → CHW Float32Array.
 */
import type { ImagePreprocessor, PreprocessedImage, PreprocessOptions, PreprocessSpec } from '../encoders/encoder.ts';
import { pilResizeCrop } from './pil-resample.ts';
import { cropRgb, planResize, toChwTensor } from './preprocess.ts';
import { decodeImage, resizeRgbCubic } from './sharp-decoder.ts';

/**
 * 'exact': always a full decode + the Pillow port: bit-exact with PIL's CLIP preprocessing.
 * 'fast' (default): JPEGs shrink on load (libjpeg DCT scaling by 2/4/8) while the decoded short
 * side stays ≥ FAST_SHRINK_MARGIN × the model input, and big reductions resample with libvips'
 * cubic instead of the Pillow port.
 *
 * Measured by bench/preprocess-fidelity.ts (min over 10 photo-like JPEGs of 0.08–12 MP, cosine
 * to the exact path; clipdex-mini at 64 px, a ViT-B/32-shaped 224-px graph with random weights;
 * embedding cosine between unrelated photos is 0.84 / 0.92 for scale):
 *   shrink margin      12       8       6       4       3       2    (+ Pillow port)
 *   64 px  pixel   0.99993 0.99988 0.99988 0.99972 0.99972 0.99972
 *          emb     0.99975 0.99962 0.99954 0.99947 0.99946 0.99864
 *   224 px pixel   1       1       0.99966 0.99951 0.99903 0.99903
 *          emb     1       1       0.99996 0.99996 0.99992 0.99992
 * 3 is the smallest margin whose embeddings stay ≥ 0.999 for both. Median ms/image: exact 185 /
 * 134–218 (64 / 224 px), margin 3 + Pillow 27 / 61, margin 3 + libvips cubic 26 / 41; libvips
 * cubic after a full decode alone: pixel 0.9999, emb ≥ 0.99994, 47 / 59 ms — the Pillow port on a
 * full 12 MP image is most of the exact path's cost, which is why non-JPEGs use it too.
 */
export type PreprocessFidelity = 'exact' | 'fast';

export interface SharpPreprocessorOptions {
  /** Default 'fast'; 'exact' for reference work (goldens, comparing with Python pipelines). */
  readonly fidelity?: PreprocessFidelity;
}

export const FAST_SHRINK_MARGIN = 3;

/**
 * In 'fast' mode libvips resamples only sources above this many pixels that shrink ≥ 2× both
 * ways: small images, thumbnails and upscales keep the Pillow port (libvips' upscale differs).
 */
const VIPS_MIN_PIXELS = 500_000;

export class SharpImagePreprocessor implements ImagePreprocessor {
  readonly fidelity: PreprocessFidelity;

  constructor(
    readonly spec: PreprocessSpec,
    options: SharpPreprocessorOptions = {},
  ) {
    this.fidelity = options.fidelity ?? 'fast';
  }

  async preprocess(bytes: Uint8Array, options: PreprocessOptions = {}): Promise<PreprocessedImage> {
    const target = Math.max(this.spec.width, this.spec.height, this.spec.shortestEdge ?? 0);
    const decoded = await decodeImage(bytes, {
      ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
      ...(this.fidelity === 'fast' ? { shrinkKeepingShortSide: FAST_SHRINK_MARGIN * target } : {}),
    });
    // Geometry from the source size; the pixels resampled to it may be a shrunk-on-load copy.
    const plan = planResize(decoded.sourceWidth, decoded.sourceHeight, this.spec);
    const window = { left: plan.cropLeft, top: plan.cropTop, width: plan.cropWidth, height: plan.cropHeight };
    const vips =
      this.fidelity === 'fast' &&
      this.spec.interpolation === 'bicubic' &&
      decoded.width * decoded.height > VIPS_MIN_PIXELS &&
      decoded.width >= 2 * plan.resizeWidth &&
      decoded.height >= 2 * plan.resizeHeight;
    const cropped = vips
      ? cropRgb(await resizeRgbCubic(decoded, plan.resizeWidth, plan.resizeHeight), window.left, window.top, window.width, window.height)
      : pilResizeCrop(decoded, plan.resizeWidth, plan.resizeHeight, this.spec.interpolation, window);
    return { pixels: toChwTensor(cropped, this.spec), width: decoded.sourceWidth, height: decoded.sourceHeight, format: decoded.format };
  }
}
