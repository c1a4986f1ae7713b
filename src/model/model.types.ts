/** The model contract: what loadModel returns and the indexer, search and server use. */
import type { ExecutionProviderName, ImageEncoder, TextEncoder } from '../encoders/encoder.ts';
import type { ImagePreprocessor } from '../image/preprocess.types.ts';
import type { ItmStage } from '../rerank/itm.types.ts';
import type { ModelFingerprint } from '../common/model-fingerprint.ts';

/** A loaded model: both towers, the preprocessor and its identity. Owns its ONNX sessions. */
export interface ClipModel {
  readonly fingerprint: ModelFingerprint;
  readonly text: TextEncoder;
  readonly image: ImageEncoder;
  readonly preprocessor: ImagePreprocessor;
  /** The provider that actually runs the graphs (after any auto fallback). */
  readonly executionProvider: ExecutionProviderName;
  /** The second search stage (image–text matching), when the package has one beside it. */
  readonly itm?: ItmStage | undefined;
  close(): Promise<void>;
}
