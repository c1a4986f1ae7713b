/**
 * The second search stage: an image–text matching (ITM) model that reads a text and an image's
 * patch states together and scores how well they match. Dual encoders find candidates fast; an
 * ITM stage re-orders the top k of them. Any export that fits this contract plugs in: the bundled
 * clipdex-mini-itm, or a bigger one (BLIP / ALBEF-style) shipped as the same kind of package.
 */

/** What `model info` shows and what the search result says about the stage. */
export interface ItmInfo {
  /** Package name (directory name). */
  readonly name: string;
  readonly dir: string;
  /** sha256-based id over the package's graphs and configs; stored image features are keyed by it. */
  readonly id: string;
  /** Bytes stored per image at index time (float16 image states). */
  readonly featureBytes: number;
  /** Named image-state tensors (per image) the fusion graph reads. */
  readonly imageFeatures: readonly { readonly name: string; readonly shape: readonly number[] }[];
  /** First-stage depth re-ranked when a request says only `rerank: true`. */
  readonly defaultK: number;
  /**
   * How the final score is formed: itm + dualWeight × dualLogitScale × cosine (BLIP-2 ranks by
   * the sum of the ITM and dual-encoder logits). dualWeight 0 ranks by ITM alone.
   */
  readonly dualWeight: number;
  readonly dualLogitScale: number;
  /** Files of the package (relative) → sha256. */
  readonly files: Readonly<Record<string, string>>;
  /** Whether image states can be computed from the base model's preprocessed pixels (index time). */
  readonly sharesPixels: boolean;
}

/** A loaded ITM stage. Owns its ONNX sessions (opened on first use). */
export interface ItmStage {
  readonly info: ItmInfo;
  /** Image states for preprocessed tensors of the base model (sharesPixels), as stored blobs. */
  imageFeatures(pixels: readonly Float32Array[]): Promise<Uint8Array[]>;
  /** Image states for encoded image bytes (query photos; items without stored states). */
  imageFeaturesFromBytes(bytes: Uint8Array): Promise<Uint8Array>;
  /** ITM logits of one text against many images (text → image re-ranking). */
  scoreText(text: string, images: readonly Uint8Array[]): Promise<Float32Array>;
  /** ITM logits of one image against many texts (image → text re-ranking). */
  scoreImage(image: Uint8Array, texts: readonly string[]): Promise<Float32Array>;
  close(): Promise<void>;
}
