/**
 * Stored ITM image states: the named tensors of one image, concatenated in the package's order,
 * as little-endian float16 (half the bytes of float32; the re-ranker's scores move by < 1e-3).
 */
import { float16ToFloat32, float32ToFloat16 } from '../encoders/float16.ts';
import { EngineError } from '../errors.ts';

export function featureLength(shapes: readonly { readonly shape: readonly number[] }[]): number {
  return shapes.reduce((sum, f) => sum + f.shape.reduce((a, b) => a * b, 1), 0);
}

export function packFeatures(values: Float32Array): Uint8Array {
  const half = float32ToFloat16(values);
  const out = new Uint8Array(half.length * 2);
  for (let i = 0; i < half.length; i++) {
    out[2 * i] = half[i]! & 0xff;
    out[2 * i + 1] = half[i]! >>> 8;
  }
  return out;
}

export function unpackFeatures(blob: Uint8Array, length: number): Float32Array {
  if (blob.length !== length * 2) {
    throw new EngineError(
      'INVALID_INPUT',
      `stored ITM image states have ${blob.length} bytes; this ITM stage needs ${length * 2}`,
    );
  }
  const half = new Uint16Array(length);
  for (let i = 0; i < length; i++) half[i] = blob[2 * i]! | (blob[2 * i + 1]! << 8);
  return float16ToFloat32(half);
}
