/**
 * The ImagePreprocessor a model hands out: decode (sharp: orientation, white matte, 8-bit sRGB)
 * → resize of the kept window (centre crop; Pillow-exact, or libvips cubic for big reductions in
 * 'fast' mode) → rescale + mean/std → CHW Float32Array.
 */
import type {
  ImagePreprocessor,
  PreprocessedImage,
  PreprocessOptions,
  PreprocessSpec,
} from './preprocess.types.ts';
import { pictureFingerprint } from './fingerprint.ts';
import { perceptualHash } from './perceptual-hash.ts';
import { pilResizeCrop } from './pil-resample.ts';
import { cropRgb, planResize, toChwTensor } from './preprocess.ts';
import { decodeImage, resizeRgbCubic } from './sharp-decoder.ts';

/**
 * 'exact': always a full decode + the Pillow port: bit-exact with PIL's CLIP preprocessing.
 * 'fast' (default): sources over VIPS_MIN_PIXELS that shrink ≥ 2× are decoded in full and
 * reduced with libvips' cubic (Pillow's curve, also widened on downscale) in one native pipeline;
 * everything else takes the Pillow port as in 'exact'. No JPEG shrink-on-load.
 *
 * Measured by bench/preprocess-fidelity.ts (min over 10 photo-like JPEGs of 0.08–12 MP, cosine to
 * the exact path; clipdex-mini checkpoint c15bbb5 at 64 px, a ViT-B/32-shaped 224-px graph with
 * random weights; embeddings of unrelated photos are 0.83 / 0.92 apart for scale):
 *   shrink-on-load margin  12       8       6       4       3       2    (+ Pillow port)
 *   64 px  pixel       0.99993 0.99988 0.99988 0.99972 0.99972 0.99972
 *          emb         0.99958 0.99893 0.99893 0.99867 0.99867 0.99760
 *   224 px pixel       1       1       0.99966 0.99951 0.99903 0.99903
 *          emb         1       1       0.99996 0.99996 0.99992 0.99992
 * DCT scaling by any factor costs the small model 0.999–0.9996 on grainy photos, so 12 is the
 * smallest margin that keeps embeddings ≥ 0.999 for both (the previous checkpoint allowed 3). But
 * the time goes to the Pillow port on big sources, not to the decode. Median CPU ms per image,
 * 64 / 224 px: exact 126 / 134; margin 12 + Pillow 56 / 136; margin 3 + Pillow 27 / 61; 'fast'
 * 34 / 35 with pixel cos 0.99992 / 0.99989 and embedding cos 0.99993 / 0.99994 — faster than
 * margin 12 and closer than any shrink. Rerun the bench when the model or sharp changes.
 */
export type PreprocessFidelity = 'exact' | 'fast';

export interface SharpPreprocessorOptions {
  /** Default 'fast'; 'exact' for reference work (goldens, comparing with Python pipelines). */
  readonly fidelity?: PreprocessFidelity;
}

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
    const decoded = await decodeImage(bytes, {
      ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
      ...(this.fidelity === 'fast' ? { cubicResize: (w: number, h: number) => this.vipsSize(w, h) } : {}),
    });
    // Geometry from the source size; the decoder may already have resampled to the planned size.
    const plan = planResize(decoded.sourceWidth, decoded.sourceHeight, this.spec);
    const window = { left: plan.cropLeft, top: plan.cropTop, width: plan.cropWidth, height: plan.cropHeight };
    const done = decoded.width === plan.resizeWidth && decoded.height === plan.resizeHeight;
    // Transparent and CMYK images decode at full size; big ones still get libvips' resample.
    const vips = !done && this.vipsSize(decoded.width, decoded.height) !== undefined;
    const cropped = done
      ? cropRgb(decoded, window.left, window.top, window.width, window.height)
      : vips
        ? cropRgb(
            await resizeRgbCubic(decoded, plan.resizeWidth, plan.resizeHeight),
            window.left,
            window.top,
            window.width,
            window.height,
          )
        : pilResizeCrop(decoded, plan.resizeWidth, plan.resizeHeight, this.spec.interpolation, window);
    // The hash sees the whole oriented picture (before the crop), at whatever size it was decoded.
    return {
      pixels: toChwTensor(cropped, this.spec),
      width: decoded.sourceWidth,
      height: decoded.sourceHeight,
      format: decoded.format,
      phash: perceptualHash(decoded),
      fingerprint: pictureFingerprint(decoded),
    };
  }

  /** The resize size when libvips should resample a source of width × height ('fast' only). */
  private vipsSize(width: number, height: number): { width: number; height: number } | undefined {
    if (
      this.fidelity !== 'fast' ||
      this.spec.interpolation !== 'bicubic' ||
      width * height <= VIPS_MIN_PIXELS
    ) {
      return undefined;
    }
    const plan = planResize(width, height, this.spec);
    if (width < 2 * plan.resizeWidth || height < 2 * plan.resizeHeight) return undefined;
    return { width: plan.resizeWidth, height: plan.resizeHeight };
  }
}
