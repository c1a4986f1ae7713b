/**
 * The only importer of onnxruntime-node. Opens one graph on a chosen execution provider, exposes
 * its I/O metadata (names, element types, static/dynamic dims) and runs it with plain typed arrays,
 * so nothing else in the code base depends on ORT's types.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { EngineError, fromFsError } from '../errors.ts';
import { availableCpus } from './cpu-topology.ts';
import type { DeviceRequest, ExecutionProviderName } from './encoder.ts';
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';

/** One graph input or output. A string dim is dynamic (its symbolic name); a number is fixed. */
export interface GraphValue {
  readonly name: string;
  /** ONNX element type as ORT names it: 'float32', 'float16', 'int32', 'int64', … */
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

export type FeedTensor =
  | { readonly type: 'int64'; readonly data: BigInt64Array; readonly dims: readonly number[] }
  | { readonly type: 'int32'; readonly data: Int32Array; readonly dims: readonly number[] }
  | { readonly type: 'float32'; readonly data: Float32Array; readonly dims: readonly number[] };

export interface OutputTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface OnnxSessionOptions {
  readonly device?: DeviceRequest;
  /** Intra-op threads; default: every CPU available (calibration, in load-model, usually decides). */
  readonly threads?: number;
  /**
   * Let idle intra-op threads spin (ORT's default: lowest latency). Off when other work shares the
   * CPUs, e.g. decode workers while indexing: a spinning thread burns the core they need.
   */
  readonly spinning?: boolean;
  /**
   * Extra ORT session config entries (`session.dynamic_block_base`, …), for benches that try a
   * knob before it is adopted; keys are ORT's dotted names, values strings.
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** The ONNX Runtime version, part of a calibration's key (a new runtime may scale differently). */
export function runtimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

const CUDA_FIX =
  'onnxruntime-node installs without its CUDA binaries here (package.json allowScripts skips its download script). ' +
  'On a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, run `npm run cuda:install` in the clipdex folder ' +
  '(= node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12), or choose --device cpu.';
const WEBGPU_FIX =
  'WebGPU needs a GPU adapter with Vulkan, Metal or D3D12 drivers; choose --device cpu on machines without one.';

/** Whether the CUDA provider library sits next to ORT's native binding (it is downloaded on demand). */
export function cudaProviderInstalled(): boolean {
  const require = createRequire(import.meta.url);
  const root = path.dirname(path.dirname(require.resolve('onnxruntime-node')));
  const dir = path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
  const file =
    process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(path.join(dir, file));
}

export class OnnxSession {
  private session: ort.InferenceSession | undefined;

  private constructor(
    session: ort.InferenceSession,
    readonly file: string,
    readonly provider: ExecutionProviderName,
    /** Why `provider` differs from what was asked for (auto fallback), if it does. */
    readonly providerNote: string | undefined,
    readonly threads: number,
  ) {
    this.session = session;
    this.inputs = session.inputMetadata.map(toGraphValue);
    this.outputs = session.outputMetadata.map(toGraphValue);
  }

  readonly inputs: readonly GraphValue[];
  readonly outputs: readonly GraphValue[];

  static async open(file: string, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new EngineError('MODEL_LOAD_FAILED', `${file} is not a file`);
    } catch (error) {
      throw fromFsError(error, `ONNX graph ${file}`);
    }
    const threads = options.threads ?? availableCpus();
    const spinning = options.spinning ?? true;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new EngineError('INVALID_INPUT', `threads must be a positive integer, got ${threads}`);
    }
    const request = options.device ?? 'auto';
    if (request === 'auto') {
      if (!cudaProviderInstalled()) {
        const session = await create(file, 'cpu', threads, spinning, options.config);
        return new OnnxSession(session, file, 'cpu', 'auto: CUDA provider not installed, using CPU', threads);
      }
      try {
        const session = await create(file, 'cuda', threads, spinning, options.config);
        return new OnnxSession(session, file, 'cuda', undefined, threads);
      } catch (error) {
        if (error instanceof EngineError && error.code !== 'PROVIDER_UNAVAILABLE') throw error;
        const session = await create(file, 'cpu', threads, spinning, options.config);
        const reason = error instanceof Error ? error.message : String(error);
        return new OnnxSession(
          session,
          file,
          'cpu',
          `auto: CUDA could not start (${reason}), using CPU`,
          threads,
        );
      }
    }
    if (request === 'cuda' && !cudaProviderInstalled()) {
      // Checked up front: ORT would print a native stack trace before failing the same way.
      throw new EngineError(
        'PROVIDER_UNAVAILABLE',
        `execution provider 'cuda' is unavailable: the CUDA provider library is not installed. ${CUDA_FIX}`,
      );
    }
    const session = await create(file, request, threads, spinning, options.config);
    return new OnnxSession(session, file, request, undefined, threads);
  }

  /** Runs the graph; returns every output as float32 (fp16 outputs are widened). */
  async run(feeds: Readonly<Record<string, FeedTensor>>): Promise<Map<string, OutputTensor>> {
    const session = this.session;
    if (!session) throw new EngineError('CLOSED', `ONNX session for ${this.file} is closed`);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      const declared = this.inputs.find((input) => input.name === name)?.type;
      ortFeeds[name] =
        declared === 'float16' && feed.type === 'float32'
          ? new ort.Tensor('float16', float32ToFloat16(feed.data), feed.dims)
          : new ort.Tensor(feed.type, feed.data, feed.dims);
    }
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(ortFeeds);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new EngineError('INTERNAL', `running ${path.basename(this.file)} failed: ${reason}`, {
        cause: error,
      });
    }
    const out = new Map<string, OutputTensor>();
    for (const [name, tensor] of Object.entries(results)) {
      out.set(name, { data: toFloat32(tensor), dims: tensor.dims });
      tensor.dispose();
    }
    return out;
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.release();
  }
}

async function create(
  file: string,
  provider: ExecutionProviderName,
  threads: number,
  spinning: boolean,
  config: Readonly<Record<string, string>> = {},
): Promise<ort.InferenceSession> {
  // onnxruntime-node joins nested `extra` keys with dots into session config entries.
  const entries = { ...config, ...(spinning ? {} : { 'session.intra_op.allow_spinning': '0' }) };
  const options: ort.InferenceSession.SessionOptions = {
    ...(Object.keys(entries).length > 0 ? { extra: nest(entries) } : {}),
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // ORT prints provider-load failures itself; we report them through EngineError instead.
    logSeverityLevel: provider === 'cpu' ? 3 : 4,
  };
  try {
    return await ort.InferenceSession.create(file, options);
  } catch (error) {
    const reason = firstLine(error);
    if (provider !== 'cpu' && isProviderFailure(reason)) {
      const fix = provider === 'cuda' ? CUDA_FIX : WEBGPU_FIX;
      throw new EngineError(
        'PROVIDER_UNAVAILABLE',
        `execution provider '${provider}' is unavailable: ${reason}. ${fix}`,
        {
          cause: error,
        },
      );
    }
    throw new EngineError('MODEL_LOAD_FAILED', `cannot load ONNX graph ${file}: ${reason}`, { cause: error });
  }
}

function isProviderFailure(reason: string): boolean {
  return /AppendExecutionProvider|shared library|adapter|backend not found|provider|CUDA|cuDNN|webgpu/i.test(
    reason,
  );
}

/** The useful part of ORT's message: first line, without its C++ source location and assertion text. */
/** {'a.b.c': v} → {a: {b: {c: v}}}, the shape onnxruntime-node's `extra` takes. */
function nest(entries: Readonly<Record<string, string>>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [dotted, value] of Object.entries(entries)) {
    const parts = dotted.split('.');
    let at = root;
    for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[parts.at(-1)!] = value;
  }
  return root;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n')[0]?.trim() ?? text;
  return line.replace(/^\/onnxruntime_src\/.*? was false\. /, '');
}

function toGraphValue(meta: ort.InferenceSession.ValueMetadata): GraphValue {
  if (!meta.isTensor) return { name: meta.name, type: 'non-tensor', shape: [] };
  return {
    name: meta.name,
    type: meta.type,
    shape: meta.shape.map((dim) => (typeof dim === 'number' && dim < 0 ? '?' : dim)),
  };
}

function toFloat32(tensor: ort.Tensor): Float32Array {
  const data = tensor.data;
  if (data instanceof Float32Array) return data.slice();
  if (tensor.type === 'float16' && data instanceof Uint16Array) return float16ToFloat32(data);
  if (
    data instanceof Float64Array ||
    data instanceof Int32Array ||
    data instanceof Uint8Array ||
    data instanceof Int8Array
  ) {
    return Float32Array.from(data);
  }
  throw new EngineError('MODEL_LOAD_FAILED', `unsupported output element type ${tensor.type}`);
}
