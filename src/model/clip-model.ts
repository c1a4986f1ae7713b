/** The ClipModel loadModel returns: both towers, the preprocessor, identity, and what `model info` shows. */
import type { ClipModel } from './model.types.ts';
import type { ExecutionProviderName } from '../encoders/encoder.ts';
import type { ImagePreprocessor } from '../image/preprocess.types.ts';
import type { ModelFingerprint, ModelLayout } from '../common/model-fingerprint.ts';
import type { ClipImageEncoder } from '../encoders/clip-image.encoder.ts';
import type { ClipTextEncoder } from '../encoders/clip-text.encoder.ts';
import type { GraphValue, OnnxSession } from '../encoders/onnx-session.ts';
import type { ThreadChoice } from '../encoders/thread-calibration.ts';
import type { ItmStage } from '../rerank/itm.types.ts';

export interface GraphDetails {
  /** Relative to the package directory. */
  readonly file: string;
  readonly inputs: readonly GraphValue[];
  readonly outputs: readonly GraphValue[];
  /** Names the runtime picked. */
  readonly uses: { readonly inputs: readonly string[]; readonly output: string };
  /** Fixed batch size, or null when dynamic (batched runs). */
  readonly fixedBatch: number | null;
}

export interface ModelDetails {
  readonly dir: string;
  readonly layout: ModelLayout;
  readonly variant: string;
  readonly variantsAvailable: readonly string[];
  readonly contextLength: number;
  /** 'builtin-clip-bpe': the package has no tokenizer, clipdex's OpenAI CLIP BPE is used (clip-as-service). */
  readonly tokenizer: 'package' | 'builtin-clip-bpe';
  /** Sequence length fed to the text graph (≥ contextLength when the graph fixes it). */
  readonly paddedLength: number;
  /** Whether runs are padded only to their longest text (padding measured inert at load). */
  readonly trimPadding: boolean;
  readonly padId: number;
  /** open_clip text cleaning applied before tokenizing. */
  readonly textClean: string;
  readonly text: GraphDetails;
  readonly vision: GraphDetails;
  /** Why the provider differs from the request (auto fallback). */
  readonly providerNote: string | undefined;
  /** Intra-op threads per tower, and how each was chosen (flag, measured, cached, …). */
  readonly threads: { readonly text: ThreadChoice; readonly vision: ThreadChoice };
}

export class LoadedClipModel implements ClipModel {
  private closed = false;

  constructor(
    readonly fingerprint: ModelFingerprint,
    readonly text: ClipTextEncoder,
    readonly image: ClipImageEncoder,
    readonly preprocessor: ImagePreprocessor,
    readonly executionProvider: ExecutionProviderName,
    readonly details: ModelDetails,
    private readonly sessions: readonly OnnxSession[],
    readonly itm: ItmStage | undefined = undefined,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Releases both ONNX sessions; later encode calls throw EngineError('CLOSED'). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.sessions.map((s) => s.close()), this.itm?.close()]);
  }
}
