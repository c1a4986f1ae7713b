/** Contracts of image preprocessing: what a model package asks for, and what the preprocessor hands a vision tower. */

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
  /** Luma + chroma fingerprint (src/image/fingerprint.ts) that confirms near duplicates. */
  readonly fingerprint?: Uint8Array;
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
