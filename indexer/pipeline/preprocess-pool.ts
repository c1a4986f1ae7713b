/**
 * An ImagePreprocessor that spreads decode + preprocess over worker threads, for machines with
 * more than one physical core. Same spec, same results as the model's own preprocessor (each
 * worker runs that very class); tensors come back by transfer, not copy. A worker that dies
 * fails only the images it held, and the pool carries on with the rest.
 *
 * Of its `size` workers only `active` take jobs (spawned on first use), so the indexer can add
 * decoders when the encoder starves and drop them when it is the encoder that needs the CPUs
 * (stage-balancer.ts); `busyMs` and `completed` are what it observes. Given an `inline`
 * preprocessor, `active` may be 0: jobs then run on this thread (sharp still decodes on libuv's
 * threads) and hashes on libuv's threads too (WebCrypto), with no worker started at all.
 */
import { webcrypto } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type {
  ImagePreprocessor,
  PreprocessedImage,
  PreprocessOptions,
  PreprocessSpec,
} from '../../src/image/preprocess.types.ts';
import { EngineError, type ErrorCode } from '../../src/errors.ts';
import type { PreprocessFidelity } from '../../src/image/image-preprocessor.ts';
import type { PreprocessJob, PreprocessReply } from './preprocess-worker.ts';

/**
 * The sources are TypeScript: each worker first loads tsx's loader, then the worker module.
 * Absolute URLs, so it works whatever the working directory.
 */
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./preprocess-worker.ts', import.meta.url).href)}); })`;

/** sha256 hex on libuv's threads (WebCrypto digests off the main thread). */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

interface Pending {
  resolve(value: PreprocessedImage | string): void;
  reject(error: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  alive: boolean;
  /** Time with at least one job in the worker, closed intervals only; `since` opens the current one. */
  busyMs: number;
  since: number | undefined;
}

export class PreprocessPool implements ImagePreprocessor {
  readonly #slots: Slot[] = [];
  readonly #max: number;
  #active: number;
  #nextId = 1;
  #closed = false;
  #completed = 0;
  readonly #fidelity: PreprocessFidelity | undefined;
  readonly #inline: ImagePreprocessor | undefined;

  constructor(
    readonly spec: PreprocessSpec,
    size: number,
    options: {
      readonly active?: number;
      readonly fidelity?: PreprocessFidelity;
      /** Runs the jobs on this thread while `active` is 0 (the same spec and fidelity). */
      readonly inline?: ImagePreprocessor;
    } = {},
  ) {
    this.#fidelity = options.fidelity;
    this.#inline = options.inline;
    if (!Number.isInteger(size) || size < 1) {
      throw new EngineError('INVALID_INPUT', 'a preprocess pool needs at least one worker');
    }
    this.#max = size;
    this.#active = size;
    this.setActive(options.active ?? size);
  }

  /** Live workers spawned so far. */
  get size(): number {
    return this.#slots.filter((s) => s.alive).length;
  }

  get maxSize(): number {
    return this.#max;
  }

  /** Workers that take new jobs. */
  get active(): number {
    return this.#active;
  }

  /**
   * Lets `n` workers (1…size; 0 with an inline preprocessor: this thread) take new jobs; jobs
   * already queued on the others finish there.
   */
  setActive(n: number): void {
    this.#active = Math.max(this.#inline ? 0 : 1, Math.min(this.#max, Math.floor(n)));
    while (!this.#closed && this.#slots.length < this.#active) this.#slots.push(this.#spawn());
  }

  /** Summed over workers: milliseconds during which a worker held at least one job. */
  busyMs(now = performance.now()): number {
    return this.#slots.reduce((sum, s) => sum + s.busyMs + (s.since === undefined ? 0 : now - s.since), 0);
  }

  /** Images preprocessed (or failed) by the workers so far (not those done inline). */
  get completed(): number {
    return this.#completed;
  }

  preprocess(bytes: Uint8Array, options: PreprocessOptions = {}): Promise<PreprocessedImage> {
    if (this.#active === 0 && this.#inline && !this.#closed) return this.#inline.preprocess(bytes, options);
    const job = {
      kind: 'preprocess' as const,
      bytes,
      ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
    };
    return this.#run(job) as Promise<PreprocessedImage>;
  }

  /** sha256 hex of the bytes, computed in a worker (3–12 MB photos take milliseconds each). */
  hash(bytes: Uint8Array): Promise<string> {
    if (this.#active === 0 && this.#inline && !this.#closed) return sha256Hex(bytes);
    return this.#run({ kind: 'hash', bytes }) as Promise<string>;
  }

  #run(job: Omit<PreprocessJob, 'id'>): Promise<PreprocessedImage | string> {
    if (this.#closed) return Promise.reject(new EngineError('CLOSED', 'the preprocess pool is closed'));
    const enabled = this.#slots.slice(0, this.#active).filter((s) => s.alive);
    const live = enabled.length > 0 ? enabled : this.#slots.filter((s) => s.alive);
    if (live.length === 0) {
      return Promise.reject(new EngineError('INTERNAL', 'every preprocess worker has exited'));
    }
    const slot = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (slot.pending.size === 0) slot.since = performance.now();
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref(); // busy workers keep the process alive, idle ones do not
      slot.worker.postMessage({ ...job, id } satisfies PreprocessJob);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_BOOTSTRAP, {
      eval: true,
      workerData: { spec: this.spec, ...(this.#fidelity ? { fidelity: this.#fidelity } : {}) },
    });
    const slot: Slot = { worker, pending: new Map(), alive: true, busyMs: 0, since: undefined };
    worker.on('message', (reply: PreprocessReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      if (!('hash' in reply)) this.#completed += 1;
      if (slot.pending.size === 0) {
        worker.unref();
        if (slot.since !== undefined) slot.busyMs += performance.now() - slot.since;
        slot.since = undefined;
      }
      if (!reply.ok) p.reject(new EngineError(reply.code as ErrorCode, reply.message));
      else if ('hash' in reply) p.resolve(reply.hash);
      else {
        p.resolve({
          pixels: reply.pixels,
          width: reply.width,
          height: reply.height,
          format: reply.format,
          ...(reply.phash === undefined ? {} : { phash: reply.phash }),
          ...(reply.fingerprint === undefined ? {} : { fingerprint: reply.fingerprint }),
        });
      }
    });
    const fail = (why: string): void => {
      slot.alive = false;
      if (slot.since !== undefined) slot.busyMs += performance.now() - slot.since;
      slot.since = undefined;
      for (const p of slot.pending.values()) {
        p.reject(new EngineError('INTERNAL', `preprocess worker ${why}`));
      }
      slot.pending.clear();
    };
    worker.on('error', (error) => fail(`crashed: ${error.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    worker.unref();
    return slot;
  }
}
