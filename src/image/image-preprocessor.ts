/**
 * The ImagePreprocessor a model hands out: decode (sharp: orientation, white matte, 8-bit sRGB)
 * → Pillow-exact resize of the kept window (centre crop) → rescale + mean/std → CHW Float32Array.
 */
import type { ImagePreprocessor, PreprocessedImage, PreprocessOptions, PreprocessSpec } from '../encoders/encoder.ts';
import { pilResizeCrop } from './pil-resample.ts';
import { planResize, toChwTensor } from './preprocess.ts';
import { decodeImage } from './sharp-decoder.ts';

/**
 * JPEGs are shrunk on load (by 2/4/8) only while the decoded short side stays ≥ 12× the model's
 * input size. Measured on fixtures/images/photo-4000.jpg against Pillow (cosine of the CLIP
 * tensors, mean/max abs difference in 8-bit levels) by how much the resampler still reduces after
 * the shrink: ~20×: ≥ 0.99998, 0.08 / 3; ~10×: 0.99991–0.99995, 0.17 / 9; 5–6×: 0.9996–0.99996;
 * 3×: 0.9998 with 31-level outliers. The margin keeps us in the first row; the decode is then
 * about twice as fast for big photos fed to small models. Full-size models on ≤ 20 MP photos
 * never shrink.
 */
const SHRINK_MARGIN = 12;

export class SharpImagePreprocessor implements ImagePreprocessor {
  constructor(readonly spec: PreprocessSpec) {}

  async preprocess(bytes: Uint8Array, options: PreprocessOptions = {}): Promise<PreprocessedImage> {
    const target = Math.max(this.spec.width, this.spec.height, this.spec.shortestEdge ?? 0);
    const decoded = await decodeImage(bytes, {
      ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
      shrinkKeepingShortSide: SHRINK_MARGIN * target,
    });
    // Geometry from the source size; the pixels resampled to it may be a shrunk-on-load copy.
    const plan = planResize(decoded.sourceWidth, decoded.sourceHeight, this.spec);
    const cropped = pilResizeCrop(decoded, plan.resizeWidth, plan.resizeHeight, this.spec.interpolation, {
      left: plan.cropLeft,
      top: plan.cropTop,
      width: plan.cropWidth,
      height: plan.cropHeight,
    });
    return { pixels: toChwTensor(cropped, this.spec), width: decoded.sourceWidth, height: decoded.sourceHeight, format: decoded.format };
  }
}
