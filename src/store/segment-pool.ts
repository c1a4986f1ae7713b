/**
 * Worker threads that build segments (segment-worker.ts), started on first use, at most one
 * per core, and stopped by close(). Idle workers do not keep the process alive. cancel() stops
 * the workers and fails their jobs: a half-written segment is only ever a temp file, which the
 * next writer to open the library removes.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { EngineError, type ErrorCode } from '../errors.ts';
import type { BuildJob, BuiltSegment } from './segment-build.ts';
import type { WorkerJob, WorkerReply } from './segment-worker.ts';

/** The sources are TypeScript: each worker loads tsx's loader, then the worker module. */
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./segment-worker.ts', import.meta.url).href)}); })`;

interface Pending {
  readonly job: WorkerJob;
  readonly transfer: ArrayBuffer[];
  resolve(value: BuiltSegment): void;
  reject(error: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  current: Pending | undefined;
}

export class SegmentPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly maxWorkers = Math.max(1, os.availableParallelism())) {}

  get busy(): boolean {
    return this.queue.length > 0 || this.slots.some((s) => s.current !== undefined);
  }

  build(job: BuildJob): Promise<BuiltSegment> {
    if (this.closed) return Promise.reject(new EngineError('CLOSED', 'the segment builder is closed'));
    const transfer = job.vectors ? [job.vectors.buffer as ArrayBuffer] : [];
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...job, id: this.nextId++ }, transfer, resolve, reject });
      this.pump();
    });
  }

  /** Stops every worker; their jobs (and queued ones) fail with ABORTED. */
  async cancel(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const p of this.queue.splice(0)) p.reject(new EngineError('ABORTED', 'segment build cancelled'));
    await Promise.all(
      slots.map(async (slot) => {
        const pending = slot.current;
        slot.current = undefined;
        await slot.worker.terminate();
        pending?.reject(new EngineError('ABORTED', 'segment build cancelled'));
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.cancel();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.current === undefined);
      if (!slot && this.slots.length < this.maxWorkers) slot = this.spawn();
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.current = pending;
      slot.worker.ref();
      slot.worker.postMessage(pending.job, pending.transfer);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_BOOTSTRAP, { eval: true });
    const slot: Slot = { worker, current: undefined };
    this.slots.push(slot);
    worker.on('message', (reply: WorkerReply) => {
      const pending = slot.current;
      if (!pending || pending.job.id !== reply.id) return;
      slot.current = undefined;
      worker.unref();
      if (reply.ok) {
        pending.resolve({
          allLabels: reply.allLabels,
          labelsSha256: reply.labelsSha256,
          labels: reply.labels,
          slots: reply.slots,
          deleted: reply.deleted,
          bytes: reply.bytes,
          quick: reply.quick,
          sha256: reply.sha256,
        });
      } else pending.reject(new EngineError(reply.code as ErrorCode, reply.message));
      this.pump();
    });
    const fail = (why: string): void => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      const pending = slot.current;
      slot.current = undefined;
      pending?.reject(new EngineError('INTERNAL', `segment worker ${why}`));
      this.pump();
    };
    worker.on('error', (error) => fail(`crashed: ${error.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    worker.unref();
    return slot;
  }
}
