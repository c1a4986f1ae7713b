/**
 * Contracts the indexer, store and server rely on. Implementations live beside this file
 * (ONNX towers) and in src/model (package loading); callers never touch onnxruntime or sharp.
 */

/** How pixels are prepared for a vision tower, read from the model package. */
export interface PreprocessSpec {
  /** Target tensor size fed to the vision tower. */
  readonly width: number;
  readonly height: number;
  /** 'shortest': resize shortest side then centre crop (CLIP); 'squash': resize to width×height. */
  readonly resizeMode: 'shortest' | 'squash';
  /** For 'shortest': the short side before the crop (HF `size.shortest_edge`); default max(width, height). */
  readonly shortestEdge?: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Resampling kernel; CLIP-family packages use bicubic. */
  readonly interpolation: 'bicubic' | 'bilinear' | 'nearest';
  /** Multiplier turning 8-bit values into the model's range (1/255 for CLIP). */
  readonly rescaleFactor: number;
}

/** A decoded, preprocessed image ready for a vision tower. */
export interface PreprocessedImage {
  /** CHW float32, length 3 × spec.height × spec.width. */
  readonly pixels: Float32Array;
  /** Size of the source image after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** Decoder's name for the source format ('jpeg', 'png', 'webp', 'svg', …). */
  readonly format: string;
  /** 64-bit perceptual hash (16 hex digits) of the decoded picture, for near-duplicate search. */
  readonly phash?: string;
}

export interface PreprocessOptions {
  /** Refuse images with more pixels than this (decompression bombs). */
  readonly maxPixels?: number;
}

export interface ImagePreprocessor {
  readonly spec: PreprocessSpec;
  /** Throws EngineError UNSUPPORTED_MEDIA / TOO_LARGE for bytes it cannot turn into a tensor. */
  preprocess(bytes: Uint8Array, options?: PreprocessOptions): Promise<PreprocessedImage>;
}

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

export type ModelLayout = 'huggingface' | 'openclip' | 'clip-as-service';
export type ExecutionProviderName = 'cpu' | 'cuda' | 'webgpu';
export type DeviceRequest = 'auto' | ExecutionProviderName;

/**
 * What a library records about the model that made its vectors. Two fingerprints with the
 * same `id` produce interchangeable vectors.
 */
export interface ModelFingerprint {
  /** Stable hash over layout, dim, context length, file hashes and preprocessing (not the name: a renamed copy keeps its id). */
  readonly id: string;
  /** Human name: the package directory name or the hub repo. */
  readonly name: string;
  readonly layout: ModelLayout;
  readonly dim: number;
  /** Relative path inside the package → sha256 hex of the files that define the embeddings. */
  readonly files: Readonly<Record<string, string>>;
  readonly preprocess: PreprocessSpec;
}

/** A loaded model: both towers, the preprocessor and its identity. Owns its ONNX sessions. */
export interface ClipModel {
  readonly fingerprint: ModelFingerprint;
  readonly text: TextEncoder;
  readonly image: ImageEncoder;
  readonly preprocessor: ImagePreprocessor;
  /** The provider that actually runs the graphs (after any auto fallback). */
  readonly executionProvider: ExecutionProviderName;
  close(): Promise<void>;
}
