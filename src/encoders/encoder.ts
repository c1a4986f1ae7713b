/**
 * The encoders' contracts: a text tower and an image tower, each with a batch and a single-query path,
 * and the execution providers they run on. Implementations live beside this file (ONNX towers).
 */

export interface TextEncoder {
  readonly dim: number;
  readonly modelId: string;
  /** Tokens per sequence fed to the text tower (77 for CLIP). */
  readonly contextLength: number;
  /** One L2-normalised vector per text, in order. */
  encodeBatch(texts: readonly string[]): Promise<Float32Array[]>;
  encodeOne(text: string): Promise<Float32Array>;
}

export interface ImageEncoder {
  readonly dim: number;
  readonly modelId: string;
  /** Takes `PreprocessedImage.pixels` tensors; returns one L2-normalised vector per image. */
  encodeBatch(pixels: readonly Float32Array[]): Promise<Float32Array[]>;
  encodeOne(pixels: Float32Array): Promise<Float32Array>;
}

export type ExecutionProviderName = 'cpu' | 'cuda' | 'webgpu';
export type DeviceRequest = 'auto' | ExecutionProviderName;
