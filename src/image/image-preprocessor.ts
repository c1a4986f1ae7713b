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
 * 'fast' (default): JPEGs shrink on load (libjpeg DCT scaling by 2/4/8) only while the decoded
 * short side stays ≥ FAST_SHRINK_MARGIN × the model input, and big reductions resample with
 * libvips' cubic instead of the Pillow port.
 *
 * Measured by bench/preprocess-fidelity.ts (min over 10 photo-like JPEGs of 0.08–12 MP, cosine to
 * the exact path; clipdex-mini checkpoint c15bbb5 at 64 px, a ViT-B/32-shaped 224-px graph with
 * random weights; embeddings of unrelated photos are 0.83 / 0.92 apart for scale):
 *   shrink margin      12       8       6       4       3       2    (+ Pillow port)
 *   64 px  pixel   0.99993 0.99988 0.99988 0.99972 0.99972 0.99972
 *          emb     0.99958 0.99893 0.99893 0.99867 0.99867 0.99760
 *   224 px pixel   1       1       0.99966 0.99951 0.99903 0.99903
 *          emb     1       1       0.99996 0.99996 0.99992 0.99992
 * DCT scaling by any factor costs the small model ~0.999–0.9996 on grainy photos, so 12 is the
 * smallest margin that keeps embeddings ≥ 0.999 for both (an earlier checkpoint allowed 3: rerun
 * the bench when the model changes). The time goes to the Pillow port on big sources, not to the
 * decode: median CPU ms/image, 64 / 224 px: exact 134 / 135; full decode + libvips cubic 53 / 52
 * (pixel 0.99992 / 0.99989, emb 0.99993 / 0.99994); margin 12 + libvips cubic 49 / 52 (emb
 * 0.99960 / 0.99994); margin 3 + libvips cubic 28 / 46.
 */
export type PreprocessFidelity = 'exact' | 'fast';

export interface SharpPreprocessorOptions {
  /** Default 'fast'; 'exact' for reference work (goldens, comparing with Python pipelines). */
  readonly fidelity?: PreprocessFidelity;
}

export const FAST_SHRINK_MARGIN = 12;

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
