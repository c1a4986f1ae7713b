/**
 * The ImagePreprocessor a model hands out: decode (sharp) → resize (sharp, PIL-like bicubic on
 * fully decoded pixels) → centre crop → rescale + mean/std → CHW Float32Array.
 */
import type { ImagePreprocessor, PreprocessedImage, PreprocessOptions, PreprocessSpec } from '../encoders/encoder.ts';
import { cropRgb, planResize, toChwTensor } from './preprocess.ts';
import { decodeImage, resizeRgb, type ResizeKernel } from './sharp-decoder.ts';

const KERNELS: Record<PreprocessSpec['interpolation'], ResizeKernel> = {
  bicubic: 'cubic',
  bilinear: 'linear',
  nearest: 'nearest',
};

export class SharpImagePreprocessor implements ImagePreprocessor {
  constructor(readonly spec: PreprocessSpec) {}

  async preprocess(bytes: Uint8Array, options: PreprocessOptions = {}): Promise<PreprocessedImage> {
    const decoded = await decodeImage(bytes, options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels });
    const plan = planResize(decoded.width, decoded.height, this.spec);
    const resized = await resizeRgb(decoded, plan.resizeWidth, plan.resizeHeight, KERNELS[this.spec.interpolation]);
    const cropped = cropRgb(resized, plan.cropLeft, plan.cropTop, plan.cropWidth, plan.cropHeight);
    return { pixels: toChwTensor(cropped, this.spec), width: decoded.width, height: decoded.height, format: decoded.format };
  }
}
