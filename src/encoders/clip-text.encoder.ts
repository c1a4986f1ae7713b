/**
 * Text tower: tokenize → int32/int64 ids (+ attention_mask when the graph takes one) → ONNX →
 * L2-normalised vectors. Runs item by item when the graph fixes the batch dim to 1.
 */
import { EngineError } from '../errors.ts';
import type { TextEncoder } from './encoder.ts';
import { chunk, describeValue, isIntegerTensor, pickByName, pickValue, staticDim } from './graph-io.ts';
import type { FeedTensor, GraphValue, OnnxSession } from './onnx-session.ts';
import { planTextRuns } from './text-runs.ts';
import type { ClipTokenizer, EncodedText } from './tokenizer.ts';
import { normalisedRows } from './tower-output.ts';

const ID_NAMES = ['input_ids', 'text', 'tokens', 'input', 'texts'];
const MASK_NAMES = ['attention_mask'];
const OUTPUT_NAMES = [
  'text_embeds',
  'embedding',
  'text_embedding',
  'unnorm_text_features',
  'text_features',
  'embeddings',
  'sentence_embedding',
  'pooler_output',
];
/** Most sequences per run when the batch dim is dynamic; bounds peak memory. */
const MAX_RUN = 64;

/** What the text graph looks like, read once at load. */
export interface TextGraphPlan {
  readonly ids: GraphValue;
  readonly mask: GraphValue | undefined;
  readonly tokenTypes: GraphValue | undefined;
  readonly output: GraphValue;
  /** Fixed batch size (1 for immich/Chinese-CLIP), or undefined when dynamic. */
  readonly fixedBatch: number | undefined;
  /** Fixed sequence length, or undefined when dynamic. */
  readonly fixedSequence: number | undefined;
}

export function planTextGraph(session: OnnxSession): TextGraphPlan {
  const file = session.file;
  if (session.inputs.some((v) => v.name === 'pixel_values')) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${file} takes pixel_values: it is a combined CLIP graph; clipdex needs separate text and vision towers`,
    );
  }
  const ids = pickValue(session.inputs, ID_NAMES, isIntegerTensor, 'integer token-id input', file);
  const mask = pickByName(session.inputs, MASK_NAMES, isIntegerTensor);
  const tokenTypes = pickByName(session.inputs, ['token_type_ids'], isIntegerTensor);
  const unknown = session.inputs.filter((v) => v !== ids && v !== mask && v !== tokenTypes);
  if (unknown.length > 0) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${file}: text graph has inputs clipdex cannot fill: ${unknown.map(describeValue).join(', ')}`,
    );
  }
  const output = pickValue(
    session.outputs,
    OUTPUT_NAMES,
    (v) => v.type !== 'non-tensor' && v.shape.length === 2,
    'two-dimensional embedding output',
    file,
  );
  return { ids, mask, tokenTypes, output, fixedBatch: staticDim(ids, 0), fixedSequence: staticDim(ids, 1) };
}

/** Tokens before the padding (the attention mask's ones). */
const realTokens = (e: EncodedText): number => e.attentionMask.reduce((a, b) => a + b, 0);

function intTensor(type: string, values: readonly number[], dims: readonly number[]): FeedTensor {
  if (type === 'int64') return { type: 'int64', data: BigInt64Array.from(values, (v) => BigInt(v)), dims };
  return { type: 'int32', data: Int32Array.from(values), dims };
}

export class ClipTextEncoder implements TextEncoder {
  constructor(
    private readonly session: OnnxSession,
    private readonly plan: TextGraphPlan,
    private readonly tokenizer: ClipTokenizer,
    readonly dim: number,
    readonly modelId: string,
    /**
     * Pad each run only to its longest text instead of the full context. Safe only for graphs
     * whose output does not depend on padding (CLIP: causal attention pooled at the end token);
     * `paddingIsInert()` checks that at load time.
     */
    readonly trimPadding = false,
  ) {}

  get contextLength(): number {
    return this.tokenizer.contextLength;
  }

  async encodeBatch(texts: readonly string[]): Promise<Float32Array[]> {
    for (const text of texts) {
      if (typeof text !== 'string') {
        throw new EngineError('INVALID_INPUT', 'text encoder: every input must be a string');
      }
    }
    const maxRun = this.plan.fixedBatch ?? MAX_RUN;
    const encoded = texts.map((t) => this.tokenizer.encode(t));
    const out: Float32Array[] = [];
    if (!this.trimPadding) {
      // Every run has the same padded length, so order-preserving chunks cost the same as any other.
      for (const part of chunk(encoded, maxRun)) out.push(...(await this.run(part)));
    } else {
      for (const run of planTextRuns(encoded.map(realTokens), maxRun)) {
        const rows = await this.run(run.map((i) => encoded[i]!));
        run.forEach((i, k) => (out[i] = rows[k]!));
      }
    }
    for (const row of out) {
      if (row.length !== this.dim) {
        throw new EngineError(
          'DIMENSION_MISMATCH',
          `${this.session.file}: produced ${row.length}-d vectors, expected ${this.dim}`,
        );
      }
    }
    return out;
  }

  async encodeOne(text: string): Promise<Float32Array> {
    const [vector] = await this.encodeBatch([text]);
    return vector!;
  }

  /** Raw ids as fed to the graph (for `model info` and tests). */
  tokenize(text: string): readonly number[] {
    return this.tokenizer.encode(text).ids;
  }

  /** Tokens of a text before padding (what a trimmed run needs for it), specials included. */
  tokenCount(text: string): number {
    return realTokens(this.tokenizer.encode(text));
  }

  /** Runs the graph once on an empty text to learn its output width (graphs with a dynamic dim). */
  async probeDim(): Promise<number> {
    const [row] = await this.run([this.tokenizer.encode('')]);
    return row!.length;
  }

  /**
   * Whether padding changes nothing: a probe text run at full length, trimmed to its tokens, and
   * with a few pads must give the same vector. True for CLIP-style towers (causal, end-token
   * pooling), false for SigLIP (last-position pooling) or graphs that read the pad tokens.
   */
  async paddingIsInert(): Promise<boolean> {
    if (this.plan.fixedSequence !== undefined) return false;
    const probe = this.tokenizer.encode('a photo of a cat on the grass');
    const real = realTokens(probe);
    if (real >= this.tokenizer.padLength) return false;
    try {
      const [full] = await this.run([probe]);
      const [trimmed] = await this.run([probe], real);
      const [some] = await this.run([probe], Math.min(real + 3, this.tokenizer.padLength));
      const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-5);
      return same(full!, trimmed!) && same(full!, some!);
    } catch {
      // A "dynamic" sequence axis that only accepts the full length (e.g. fixed position tables).
      return false;
    }
  }

  /** One graph run over already tokenized texts, each cut to `forceLength` or the run's longest. */
  private async run(full: readonly EncodedText[], forceLength?: number): Promise<Float32Array[]> {
    const length =
      forceLength ?? (this.trimPadding ? Math.max(...full.map(realTokens)) : this.tokenizer.padLength);
    const encoded =
      length === this.tokenizer.padLength
        ? full
        : full.map((e) => ({ ids: e.ids.slice(0, length), attentionMask: e.attentionMask.slice(0, length) }));
    const dims = [full.length, length];
    const feeds: Record<string, FeedTensor> = {
      [this.plan.ids.name]: intTensor(
        this.plan.ids.type,
        encoded.flatMap((e) => e.ids),
        dims,
      ),
    };
    if (this.plan.mask) {
      feeds[this.plan.mask.name] = intTensor(
        this.plan.mask.type,
        encoded.flatMap((e) => e.attentionMask),
        dims,
      );
    }
    if (this.plan.tokenTypes) {
      feeds[this.plan.tokenTypes.name] = intTensor(
        this.plan.tokenTypes.type,
        new Array<number>(full.length * length).fill(0),
        dims,
      );
    }
    const result = await this.session.run(feeds);
    return normalisedRows(
      result.get(this.plan.output.name),
      full.length,
      this.plan.output.name,
      this.session.file,
    );
  }
}
