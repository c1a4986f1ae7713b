/**
 * An ITM stage over two ONNX graphs: the vision graph turns preprocessed pixels into image states
 * (stored at index time, float16), the fusion graph scores token ids against image states. Sessions
 * open on first use, so loading a model with an ITM stage costs nothing until something re-ranks.
 *
 * @example
 *   const itm = await loadItmStage(findItmPackage(modelDir)!, { basePreprocess: model.preprocessor.spec });
 *   const logits = await itm.scoreText('a red apple', storedStates);
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DeviceRequest } from '../encoders/encoder.ts';
import type { PreprocessSpec } from '../image/preprocess.types.ts';
import { isIntegerTensor } from '../encoders/graph-io.ts';
import { OnnxSession, type FeedTensor } from '../encoders/onnx-session.ts';
import { ClipTokenizer, readTokenizerFiles, tokenizerMaxLength } from '../encoders/tokenizer.ts';
import { EngineError } from '../errors.ts';
import { SharpImagePreprocessor } from '../image/image-preprocessor.ts';
import { computeFingerprint } from '../model/fingerprint.ts';
import { fromHuggingFace, readJsonFile } from '../model/package-config.ts';
import { featureLength, packFeatures, unpackFeatures } from './itm-features.ts';
import { readItmConfig, type ItmPackageConfig } from './itm-package.ts';
import type { ItmInfo, ItmStage } from './itm.types.ts';

export interface LoadItmOptions {
  /** The dual encoder's preprocessing: when equal, index-time pixels are reused. */
  readonly basePreprocess?: PreprocessSpec;
  readonly device?: DeviceRequest;
  readonly threads?: number;
  /** 'quantized' picks `<graph>_quantized.onnx` for the fusion graph when the package has it. */
  readonly variant?: string;
}

/** Pairs per fusion run: bounds memory for big k. */
const MAX_RUN = 64;

const sameSpec = (a: PreprocessSpec, b: PreprocessSpec): boolean =>
  a.width === b.width &&
  a.height === b.height &&
  a.resizeMode === b.resizeMode &&
  (a.shortestEdge ?? 0) === (b.shortestEdge ?? 0) &&
  a.interpolation === b.interpolation &&
  a.rescaleFactor === b.rescaleFactor &&
  a.mean.every((v, i) => v === b.mean[i]) &&
  a.std.every((v, i) => v === b.std[i]);

export async function loadItmStage(dir: string, options: LoadItmOptions = {}): Promise<ItmStage> {
  const config = await readItmConfig(dir);
  const tokenizerFiles = await readTokenizerFiles(dir);
  const contextLength = tokenizerMaxLength(tokenizerFiles) ?? 32;
  const tokenizer = new ClipTokenizer(tokenizerFiles, { contextLength, defaultPadId: 0 });
  const spec = fromHuggingFace(await readJsonFile(dir, 'preprocessor_config.json'));
  let fusion = config.fusionGraph;
  if (options.variant === 'quantized') {
    const q = fusion.replace(/\.onnx$/, '_quantized.onnx');
    if (existsSync(path.join(dir, q))) fusion = q;
  }
  const hashed = ['config.json', 'tokenizer.json', 'preprocessor_config.json', config.visionGraph, fusion];
  const fp = await computeFingerprint({
    dir,
    name: config.name,
    layout: 'huggingface',
    dim: featureLength(config.imageFeatures),
    contextLength,
    files: hashed,
    preprocess: spec,
  });
  const info: ItmInfo = {
    name: config.name,
    dir,
    id: `itm-${fp.id}`,
    featureBytes: 2 * featureLength(config.imageFeatures),
    imageFeatures: config.imageFeatures,
    defaultK: config.defaultK,
    dualWeight: config.dualWeight,
    dualLogitScale: config.dualLogitScale,
    files: fp.files,
    sharesPixels: options.basePreprocess !== undefined && sameSpec(options.basePreprocess, spec),
  };
  return new OnnxItmStage(
    info,
    { ...config, fusionGraph: fusion },
    tokenizer,
    new SharpImagePreprocessor(spec),
    {
      ...(options.device ? { device: options.device } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
    },
  );
}

interface Sessions {
  readonly vision: OnnxSession;
  readonly fusion: OnnxSession;
}

export class OnnxItmStage implements ItmStage {
  #sessions: Promise<Sessions> | undefined;
  #closed = false;
  readonly #length: number;

  constructor(
    readonly info: ItmInfo,
    private readonly config: ItmPackageConfig,
    private readonly tokenizer: ClipTokenizer,
    private readonly preprocessor: SharpImagePreprocessor,
    private readonly sessionOptions: { device?: DeviceRequest; threads?: number },
  ) {
    this.#length = featureLength(config.imageFeatures);
  }

  async imageFeatures(pixels: readonly Float32Array[]): Promise<Uint8Array[]> {
    if (pixels.length === 0) return [];
    const { vision } = await this.sessions();
    const { width, height } = this.preprocessor.spec;
    const per = 3 * width * height;
    const out: Uint8Array[] = [];
    for (let start = 0; start < pixels.length; start += MAX_RUN) {
      const part = pixels.slice(start, start + MAX_RUN);
      const data = new Float32Array(per * part.length);
      part.forEach((p, i) => {
        if (p.length !== per) {
          throw new EngineError('INVALID_INPUT', `ITM vision: expected tensors of 3×${height}×${width}`);
        }
        data.set(p, i * per);
      });
      const result = await vision.run({
        [vision.inputs[0]!.name]: { type: 'float32', data, dims: [part.length, 3, height, width] },
      });
      const tensors = this.config.imageFeatures.map((f) => {
        const t = result.get(f.name);
        if (!t) throw new EngineError('MODEL_LOAD_FAILED', `${this.config.visionGraph}: no output ${f.name}`);
        return t.data;
      });
      for (let i = 0; i < part.length; i++) {
        const row = new Float32Array(this.#length);
        let at = 0;
        this.config.imageFeatures.forEach((f, j) => {
          const n = f.shape.reduce((a, b) => a * b, 1);
          row.set(tensors[j]!.subarray(i * n, (i + 1) * n), at);
          at += n;
        });
        out.push(packFeatures(row));
      }
    }
    return out;
  }

  async imageFeaturesFromBytes(bytes: Uint8Array): Promise<Uint8Array> {
    const prepared = await this.preprocessor.preprocess(bytes);
    const [features] = await this.imageFeatures([prepared.pixels]);
    return features!;
  }

  async scoreText(text: string, images: readonly Uint8Array[]): Promise<Float32Array> {
    const ids = this.tokenizer.encode(text);
    return this.score(
      images.map(() => ids),
      images,
      this.config.textBroadcast,
    );
  }

  async scoreImage(image: Uint8Array, texts: readonly string[]): Promise<Float32Array> {
    return this.score(
      texts.map((t) => this.tokenizer.encode(t)),
      texts.map(() => image),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    const sessions = this.#sessions;
    this.#sessions = undefined;
    if (sessions) {
      const s = await sessions.catch(() => undefined);
      await Promise.all([s?.vision.close(), s?.fusion.close()]);
    }
  }

  /** `shared`: every pair has the same text, fed once as a [1, length] row the graph broadcasts. */
  private async score(
    texts: readonly { ids: readonly number[]; attentionMask: readonly number[] }[],
    images: readonly Uint8Array[],
    shared = false,
  ): Promise<Float32Array> {
    const out = new Float32Array(images.length);
    if (images.length === 0) return out;
    const { fusion } = await this.sessions();
    const idsInput = fusion.inputs.find((v) => v.name === this.config.textInput);
    if (!idsInput || !isIntegerTensor(idsInput)) {
      throw new EngineError(
        'MODEL_LOAD_FAILED',
        `${this.config.fusionGraph}: no integer input ${this.config.textInput}`,
      );
    }
    const mask = fusion.inputs.find((v) => v.name === 'attention_mask');
    for (let start = 0; start < images.length; start += MAX_RUN) {
      const end = Math.min(images.length, start + MAX_RUN);
      const n = end - start;
      // Padding is masked, so each run is padded only to its longest text.
      const length = Math.max(
        ...texts.slice(start, end).map((t) => t.attentionMask.reduce((a, b) => a + b, 0)),
      );
      const ids: number[] = [];
      const att: number[] = [];
      const rows = shared ? 1 : n;
      for (let i = start; i < start + rows; i++) {
        ids.push(...texts[i]!.ids.slice(0, length));
        att.push(...texts[i]!.attentionMask.slice(0, length));
      }
      const feeds: Record<string, FeedTensor> = {
        [idsInput.name]: intTensor(idsInput.type, ids, [rows, length]),
      };
      if (mask) feeds[mask.name] = intTensor(mask.type, att, [rows, length]);
      let offset = 0;
      const unpacked = images.slice(start, end).map((blob) => unpackFeatures(blob, this.#length));
      for (const f of this.config.imageFeatures) {
        const size = f.shape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(size * n);
        unpacked.forEach((row, i) => data.set(row.subarray(offset, offset + size), i * size));
        feeds[f.name] = { type: 'float32', data, dims: [n, ...f.shape] };
        offset += size;
      }
      const result = await fusion.run(feeds);
      const logits = result.get(this.config.output);
      if (!logits || logits.data.length !== n) {
        throw new EngineError(
          'MODEL_LOAD_FAILED',
          `${this.config.fusionGraph}: output ${this.config.output} must hold one logit per pair`,
        );
      }
      out.set(logits.data, start);
    }
    return out;
  }

  private sessions(): Promise<Sessions> {
    if (this.#closed) {
      return Promise.reject(new EngineError('CLOSED', `ITM stage ${this.info.name} is closed`));
    }
    this.#sessions ??= (async () => {
      const vision = await OnnxSession.open(
        path.join(this.config.dir, this.config.visionGraph),
        this.sessionOptions,
      );
      try {
        const fusion = await OnnxSession.open(
          path.join(this.config.dir, this.config.fusionGraph),
          this.sessionOptions,
        );
        return { vision, fusion };
      } catch (error) {
        await vision.close();
        throw error;
      }
    })();
    const pending = this.#sessions;
    pending.catch(() => {
      if (this.#sessions === pending) this.#sessions = undefined;
    });
    return pending;
  }
}

function intTensor(type: string, values: readonly number[], dims: readonly number[]): FeedTensor {
  if (type === 'int64') return { type: 'int64', data: BigInt64Array.from(values, (v) => BigInt(v)), dims };
  return { type: 'int32', data: Int32Array.from(values), dims };
}
