/**
 * Pure preprocessing steps (no sharp here): where to resize and crop, the crop itself, and the
 * rescale + mean/std normalisation into a CHW float tensor. The geometry follows torchvision's
 * Resize(int) + CenterCrop, which openai/CLIP and open_clip use.
 */
import type { PreprocessSpec } from './preprocess.types.ts';
import type { RawRgb } from './sharp-decoder.ts';

export interface ResizePlan {
  /** Size to resample the whole image to. */
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  /** Window cut from the resized image; equals the spec's tensor size. */
  readonly cropLeft: number;
  readonly cropTop: number;
  readonly cropWidth: number;
  readonly cropHeight: number;
}

/** Python's round(): halves go to the even neighbour (torchvision's crop offsets use it). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function planResize(width: number, height: number, spec: PreprocessSpec): ResizePlan {
  const cropWidth = spec.width;
  const cropHeight = spec.height;
  if (spec.resizeMode === 'squash') {
    return {
      resizeWidth: cropWidth,
      resizeHeight: cropHeight,
      cropLeft: 0,
      cropTop: 0,
      cropWidth,
      cropHeight,
    };
  }
  const edge = spec.shortestEdge ?? Math.max(cropWidth, cropHeight);
  // torchvision: the short side becomes `edge`, the long side int(edge * long / short) (truncated).
  const resizeWidth = width <= height ? edge : Math.trunc((edge * width) / height);
  const resizeHeight = width <= height ? Math.trunc((edge * height) / width) : edge;
  // If the crop is larger than the resized image, torchvision pads; we clamp instead (never hit by CLIP).
  const cropLeft = Math.max(0, roundHalfEven((resizeWidth - cropWidth) / 2));
  const cropTop = Math.max(0, roundHalfEven((resizeHeight - cropHeight) / 2));
  return { resizeWidth, resizeHeight, cropLeft, cropTop, cropWidth, cropHeight };
}

/** Cuts a window out of interleaved RGB; the window is clamped to the image and padded with black. */
export function cropRgb(image: RawRgb, left: number, top: number, width: number, height: number): RawRgb {
  if (left === 0 && top === 0 && width === image.width && height === image.height) return image;
  const out = new Uint8Array(width * height * 3);
  const rowBytes = Math.min(width, image.width - left) * 3;
  for (let y = 0; y < height && top + y < image.height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(from, from + rowBytes), y * width * 3);
  }
  return { data: out, width, height };
}

/** (value * rescale - mean[c]) / std[c], laid out channel-major (CHW). */
export function toChwTensor(
  image: RawRgb,
  spec: Pick<PreprocessSpec, 'mean' | 'std' | 'rescaleFactor'>,
): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const scale = spec.rescaleFactor / spec.std[c]!;
    const shift = spec.mean[c]! / spec.std[c]!;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = image.data[i * 3 + c]! * scale - shift;
  }
  return out;
}
