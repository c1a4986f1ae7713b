/**
 * A shot's keyframe (RGB already scaled by ffmpeg to about the model's input size) → the vision
 * tower's tensor, through the same geometry and normalisation as photos (planResize, centre
 * crop, mean/std), and → a small JPEG thumbnail.
 */
import type { PreprocessSpec } from '../image/preprocess.types.ts';
import { pilResizeCrop } from '../image/pil-resample.ts';
import { cropRgb, planResize, toChwTensor } from '../image/preprocess.ts';
import { encodeRgbJpeg, type RawRgb } from '../image/sharp-decoder.ts';

/** Short side ffmpeg scales keyframes to: the model's input, but never under 224 px (thumbnails). */
export function keyframeShortSide(spec: PreprocessSpec): number {
  return Math.max(224, spec.shortestEdge ?? Math.max(spec.width, spec.height));
}

export function keyframeTensor(frame: RawRgb, spec: PreprocessSpec): Float32Array {
  const plan = planResize(frame.width, frame.height, spec);
  const window = { left: plan.cropLeft, top: plan.cropTop, width: plan.cropWidth, height: plan.cropHeight };
  const cropped =
    frame.width === plan.resizeWidth && frame.height === plan.resizeHeight
      ? cropRgb(frame, window.left, window.top, window.width, window.height)
      : pilResizeCrop(frame, plan.resizeWidth, plan.resizeHeight, spec.interpolation, window);
  return toChwTensor(cropped, spec);
}

export const THUMBNAIL_SIDE = 320;

export function keyframeThumbnail(frame: RawRgb): Promise<Uint8Array> {
  return encodeRgbJpeg(frame, THUMBNAIL_SIDE, 78);
}
