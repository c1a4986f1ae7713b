/**
 * The ImagePreprocessor a model hands out: decode (sharp: orientation, white matte, 8-bit sRGB)
 * → Pillow-exact resize of the kept window (centre crop) → rescale + mean/std → CHW Float32Array.
 */
import type { ImagePreprocessor, PreprocessedImage, PreprocessOptions, PreprocessSpec } from '../encoders/encoder.ts';
import { pilResizeCrop } from './pil-resample.ts';
import { planResize, toChwTensor } from './preprocess.ts';
import { decodeImage } from './sharp-decoder.ts';

export class SharpImagePreprocessor implements ImagePreprocessor {
  constructor(readonly spec: PreprocessSpec) {}

  async preprocess(bytes: Uint8Array, options: PreprocessOptions = {}): Promise<PreprocessedImage> {
    const decoded = await decodeImage(bytes, options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels });
    const plan = planResize(decoded.width, decoded.height, this.spec);
    const cropped = pilResizeCrop(decoded, plan.resizeWidth, plan.resizeHeight, this.spec.interpolation, {
      left: plan.cropLeft,
      top: plan.cropTop,
      width: plan.cropWidth,
      height: plan.cropHeight,
    });
    return { pixels: toChwTensor(cropped, this.spec), width: decoded.width, height: decoded.height, format: decoded.format };
  }
}
