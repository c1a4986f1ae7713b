/**
 * Vision tower: preprocessed CHW tensors → ONNX → L2-normalised vectors. Batches when the batch
 * dim is dynamic, runs item by item when the graph fixes it to 1.
 */
import { EngineError } from '../errors.ts';
import type { ImageEncoder } from './encoder.ts';
import { chunk, describeValue, isFloatTensor, pickValue, staticDim } from './graph-io.ts';
import type { GraphValue, OnnxSession } from './onnx-session.ts';
import { normalisedRows } from './tower-output.ts';

const INPUT_NAMES = ['pixel_values', 'image', 'images', 'input', 'x'];
const OUTPUT_NAMES = [
  'image_embeds',
  'embedding',
  'image_embedding',
  'unnorm_image_features',
  'image_features',
  'embeddings',
  'pooler_output',
];
const MAX_RUN = 32;

export interface ImageGraphPlan {
  readonly input: GraphValue;
  readonly output: GraphValue;
  readonly fixedBatch: number | undefined;
  /** Fixed [height, width] of the graph input, when both are static. */
  readonly fixedSize: readonly [number, number] | undefined;
}

export function planImageGraph(session: OnnxSession): ImageGraphPlan {
  const file = session.file;
  const input = pickValue(
    session.inputs,
    INPUT_NAMES,
    (v) => isFloatTensor(v) && v.shape.length === 4,
    'float [batch, 3, height, width] image input',
    file,
  );
  const extra = session.inputs.filter((v) => v !== input);
  if (extra.length > 0) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${file}: vision graph has inputs clipdex cannot fill: ${extra.map(describeValue).join(', ')}`,
    );
  }
  if (staticDim(input, 1) !== undefined && staticDim(input, 1) !== 3) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${file}: image input ${describeValue(input)} is not channel-first RGB`,
    );
  }
  const output = pickValue(
    session.outputs,
    OUTPUT_NAMES,
    (v) => v.type !== 'non-tensor' && v.shape.length === 2,
    'two-dimensional embedding output',
    file,
  );
  const h = staticDim(input, 2);
  const w = staticDim(input, 3);
  return {
    input,
    output,
    fixedBatch: staticDim(input, 0),
    fixedSize: h !== undefined && w !== undefined ? [h, w] : undefined,
  };
}

export class ClipImageEncoder implements ImageEncoder {
  constructor(
    private readonly session: OnnxSession,
    private readonly plan: ImageGraphPlan,
    /** [height, width] of the tensors this encoder takes (from the preprocessing spec). */
    private readonly size: readonly [number, number],
    readonly dim: number,
    readonly modelId: string,
  ) {}

  async encodeBatch(pixels: readonly Float32Array[]): Promise<Float32Array[]> {
    const expected = 3 * this.size[0] * this.size[1];
    for (const tensor of pixels) {
      if (!(tensor instanceof Float32Array) || tensor.length !== expected) {
        throw new EngineError(
          'INVALID_INPUT',
          `image encoder: expected Float32Array tensors of 3×${this.size[0]}×${this.size[1]} = ${expected} values`,
        );
      }
    }
    const out: Float32Array[] = [];
    for (const part of chunk(pixels, this.plan.fixedBatch ?? MAX_RUN)) out.push(...(await this.run(part)));
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

  async encodeOne(pixels: Float32Array): Promise<Float32Array> {
    const [vector] = await this.encodeBatch([pixels]);
    return vector!;
  }

  /** Runs the graph once on a blank image to learn its output width (graphs with a dynamic dim). */
  async probeDim(): Promise<number> {
    const [row] = await this.run([new Float32Array(3 * this.size[0] * this.size[1])]);
    return row!.length;
  }

  private async run(pixels: readonly Float32Array[]): Promise<Float32Array[]> {
    const per = pixels[0]?.length ?? 0;
    const data = new Float32Array(per * pixels.length);
    pixels.forEach((p, i) => data.set(p, i * per));
    const dims = [pixels.length, 3, this.size[0], this.size[1]];
    const result = await this.session.run({ [this.plan.input.name]: { type: 'float32', data, dims } });
    return normalisedRows(
      result.get(this.plan.output.name),
      pixels.length,
      this.plan.output.name,
      this.session.file,
    );
  }
}
