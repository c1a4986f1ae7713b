/**
 * Neighbour queries of a from-scratch duplicate scan, spread over worker threads
 * (neighbour-worker.ts), one per core: each opens the library read-only and searches its own
 * copy of the segments, so the k-NN pass (about 0.85 CPU-ms per image over three segments at
 * 100k images) runs on every core instead of one. Batches are answered in the order they were
 * given, so callers see exactly what the serial pass would have produced. Workers start on the
 * first batch and stop at close(); idle ones do not keep the process alive.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { EngineError, type ErrorCode } from '../errors.ts';
import type { NeighbourPair, NeighbourSettings } from '../store/library.types.ts';
import type {
  NeighbourControl,
  NeighbourJob,
  NeighbourReply,
  NeighbourWorkerData,
} from './neighbour-worker.ts';

/** The sources are TypeScript: each worker loads tsx's loader, then the worker module. */
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./neighbour-worker.ts', import.meta.url).href)}); })`;

/**
 * Below this many queries a scan stays on the calling thread: each worker first opens the library
 * and loads its segments (0.5 CPU-s, 1.1 s wall at load 14, for 100k images: ~700 queries' worth).
 */
export const PARALLEL_MIN_QUERIES = 4096;

/** Images per message: small enough to share the work out evenly, large enough to be cheap to send. */
export const NEIGHBOUR_BATCH = 256;

export interface NeighbourEntry {
  readonly id: number;
  readonly neighbours: NeighbourPair[];
}

interface Slot {
  readonly worker: Worker;
  current: { readonly seq: number; resolve(r: NeighbourReply): void } | undefined;
}

export class NeighbourPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<{ resolve(slot: Slot): void; reject(error: unknown): void }> = [];
  private failure: EngineError | undefined;
  private closed = false;

  readonly workers: number;
  /** Scans needing fewer queries than this stay on the calling thread. */
  readonly minQueries: number;

  constructor(
    private readonly libraryDir: string,
    options: { readonly workers?: number; readonly minQueries?: number } = {},
  ) {
    this.workers = Math.max(1, options.workers ?? os.availableParallelism());
    this.minQueries = options.minQueries ?? PARALLEL_MIN_QUERIES;
  }

  /**
   * Queries every image of every batch (ids with their vectors) and calls `onEntries` with the
   * neighbours of each run of images, in the order given. Returns the number of queries run.
   * One call at a time.
   */
  async query(
    batches: Iterable<{ readonly ids: readonly number[]; readonly vectors: readonly Float32Array[] }>,
    settings: NeighbourSettings,
    onEntries: (entries: NeighbourEntry[]) => void,
  ): Promise<number> {
    if (this.closed) throw new EngineError('CLOSED', 'the neighbour pool is closed');
    const done = new Map<number, NeighbourEntry[]>();
    const sent: Promise<void>[] = [];
    let failed: Error | undefined;
    let next = 0; // the next piece to hand to onEntries
    let seq = 0;
    let queries = 0;
    const deliver = (): void => {
      for (let got = done.get(next); got; got = done.get(next)) {
        done.delete(next++);
        onEntries(got);
      }
    };
    for (const batch of batches) {
      for (let at = 0; at < batch.ids.length; at += NEIGHBOUR_BATCH) {
        const slot = await this.freeSlot();
        if (failed !== undefined) break;
        const mine = seq++;
        const ids = batch.ids.slice(at, at + NEIGHBOUR_BATCH);
        queries += ids.length;
        sent.push(
          this.send(slot, mine, ids, batch.vectors.slice(at, at + NEIGHBOUR_BATCH), settings)
            .then((entries) => {
              done.set(mine, entries);
              deliver();
            })
            .catch((error: unknown) => {
              failed ??= error instanceof Error ? error : new EngineError('INTERNAL', String(error));
            }),
        );
      }
      if (failed !== undefined) break;
    }
    await Promise.all(sent);
    if (failed !== undefined) throw failed;
    return queries;
  }

  /** Asks each worker to close its library, then stops it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closed = new EngineError('CLOSED', 'the neighbour pool is closed');
    for (const w of this.waiting.splice(0)) w.reject(closed);
    const slots = this.slots.splice(0);
    await Promise.all(
      slots.map(async ({ worker }) => {
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        const control: NeighbourControl = { close: true };
        worker.postMessage(control);
        const timer = setTimeout(() => void worker.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private freeSlot(): Promise<Slot> {
    if (this.failure) return Promise.reject(this.failure);
    const free = this.slots.find((s) => s.current === undefined);
    if (free) return Promise.resolve(free);
    if (this.slots.length < this.workers) return Promise.resolve(this.spawn());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private async send(
    slot: Slot,
    seq: number,
    ids: readonly number[],
    vectors: readonly Float32Array[],
    settings: NeighbourSettings,
  ): Promise<NeighbourEntry[]> {
    const dim = vectors[0]?.length ?? 0;
    const flat = new Float32Array(ids.length * dim);
    vectors.forEach((v, i) => flat.set(v, i * dim));
    const job: NeighbourJob = { id: seq, settings, ids: Int32Array.from(ids), vectors: flat };
    const reply = await new Promise<NeighbourReply>((resolve) => {
      slot.current = { seq, resolve };
      slot.worker.ref();
      slot.worker.postMessage(job, [job.ids.buffer, flat.buffer] as ArrayBuffer[]);
    });
    if (!reply.ok) throw new EngineError(reply.code as ErrorCode, reply.message);
    const entries: NeighbourEntry[] = [];
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const neighbours: NeighbourPair[] = [];
      for (let j = 0; j < reply.counts[i]!; j++, at++) {
        const other = reply.others[at]!;
        neighbours.push({ a: Math.min(id, other), b: Math.max(id, other), cosine: reply.cosines[at]! });
      }
      entries.push({ id, neighbours });
    }
    return entries;
  }

  private spawn(): Slot {
    const workerData: NeighbourWorkerData = { libraryDir: this.libraryDir };
    const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData });
    const slot: Slot = { worker, current: undefined };
    this.slots.push(slot);
    worker.on('message', (reply: NeighbourReply) => {
      const current = slot.current;
      if (!current || current.seq !== reply.id) return;
      slot.current = undefined;
      worker.unref();
      this.waiting.shift()?.resolve(slot);
      current.resolve(reply);
    });
    const fail = (why: string): void => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      if (this.closed) return;
      // A worker that died takes the scan with it: its batch and every waiting one fail.
      this.failure ??= new EngineError('INTERNAL', `neighbour worker ${why}`);
      const current = slot.current;
      slot.current = undefined;
      current?.resolve({ id: current.seq, ok: false, code: 'INTERNAL', message: this.failure.message });
      for (const w of this.waiting.splice(0)) w.reject(this.failure);
    };
    worker.on('error', (error) => fail(`crashed: ${error.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    worker.unref();
    return slot;
  }
}
