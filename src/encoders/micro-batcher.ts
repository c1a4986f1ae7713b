/**
 * Dynamic micro-batching for query encoders. A server receives single queries from many clients
 * at once; encoding them one by one leaves the ONNX graph running batch-1 over and over, while
 * one batch-N run costs far less than N batch-1 runs. The batcher collects single encodes that
 * arrive within a few milliseconds (or while the previous batch is still running) and sends them
 * through `encodeBatch` together. Same interface as the wrapped encoder, so callers don't notice.
 */
import type { ImageEncoder, TextEncoder } from './encoder.ts';

export interface MicroBatchOptions {
  /**
   * Under load, how long the first query of a batch waits for company, in ms (default 3). "Under
   * load" means the previous batch held more than one query; otherwise (a lone client) the encoder
   * starts at once — after the current event-loop turn, so requests parsed together still share
   * it — and a lone query pays no waiting. 0 never waits.
   */
  readonly windowMs?: number;
  /** Largest batch sent to the encoder (default 32). */
  readonly maxBatch?: number;
  /** Told about every batch run: its size and how long the encoder took (for metrics). */
  readonly onBatch?: (size: number, seconds: number) => void;
}

interface Pending<I> {
  readonly input: I;
  resolve(vector: Float32Array): void;
  reject(error: unknown): void;
}

/** Queues single inputs and runs them through `run` in batches, one batch at a time. */
export class MicroBatcher<I> {
  readonly #run: (inputs: readonly I[]) => Promise<Float32Array[]>;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #onBatch: ((size: number, seconds: number) => void) | undefined;
  #queue: Pending<I>[] = [];
  /** Cancels the scheduled flush, when one is pending. */
  #cancel: (() => void) | undefined;
  #busy = false;
  /** Size of the last batch run: more than one means concurrent clients, worth a short wait. */
  #lastBatch = 0;

  constructor(run: (inputs: readonly I[]) => Promise<Float32Array[]>, options: MicroBatchOptions = {}) {
    this.#run = run;
    this.#windowMs = Math.max(0, options.windowMs ?? 3);
    this.#maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 32));
    this.#onBatch = options.onBatch;
  }

  /** Number of inputs waiting for a batch slot. */
  get pending(): number {
    return this.#queue.length;
  }

  encode(input: I): Promise<Float32Array> {
    return new Promise<Float32Array>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (this.#busy) return; // the running batch's completion flushes the queue
      if (this.#queue.length >= this.#maxBatch) this.#flush();
      else this.#cancel ??= this.#schedule();
    });
  }

  #schedule(): () => void {
    if (this.#windowMs > 0 && this.#lastBatch > 1) {
      const timer = setTimeout(() => this.#flush(), this.#windowMs);
      return () => clearTimeout(timer);
    }
    const immediate = setImmediate(() => this.#flush());
    return () => clearImmediate(immediate);
  }

  #flush(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    if (this.#busy || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#maxBatch);
    this.#busy = true;
    this.#lastBatch = batch.length;
    const started = process.hrtime.bigint();
    let work: Promise<Float32Array[]>;
    try {
      work = this.#run(batch.map((p) => p.input));
    } catch (error) {
      work = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    work
      .then((vectors) => {
        if (vectors.length !== batch.length) {
          throw new RangeError(`encoder returned ${vectors.length} vectors for ${batch.length} inputs`);
        }
        this.#onBatch?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
        batch.forEach((p, i) => p.resolve(vectors[i]!));
      })
      .catch((error: unknown) => {
        for (const p of batch) p.reject(error);
      })
      .finally(() => {
        this.#busy = false;
        // What queued while the encoder ran goes next; under load it may wait a moment for the
        // clients just answered, whose next queries are on their way (or the batch is full).
        if (this.#queue.length >= this.#maxBatch) this.#flush();
        else if (this.#queue.length > 0) this.#cancel ??= this.#schedule();
      });
  }
}

/**
 * A TextEncoder whose calls are micro-batched across callers. `encodeBatch` goes through the
 * queue too, so a multi-term query shares a batch with other clients' single queries.
 */
export function microBatchTextEncoder(inner: TextEncoder, options: MicroBatchOptions = {}): TextEncoder {
  const batcher = new MicroBatcher<string>((texts) => inner.encodeBatch(texts), options);
  return {
    dim: inner.dim,
    modelId: inner.modelId,
    contextLength: inner.contextLength,
    encodeBatch: (texts) => Promise.all(texts.map((t) => batcher.encode(t))),
    encodeOne: (text) => batcher.encode(text),
  };
}

/** An ImageEncoder whose calls are micro-batched across callers (see the text variant). */
export function microBatchImageEncoder(inner: ImageEncoder, options: MicroBatchOptions = {}): ImageEncoder {
  const batcher = new MicroBatcher<Float32Array>((pixels) => inner.encodeBatch(pixels), options);
  return {
    dim: inner.dim,
    modelId: inner.modelId,
    encodeBatch: (pixels) => Promise.all(pixels.map((p) => batcher.encode(p))),
    encodeOne: (pixels) => batcher.encode(pixels),
  };
}
