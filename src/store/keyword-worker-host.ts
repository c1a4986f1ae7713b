/**
 * The keyword leg on a worker thread (keyword-worker.ts) with its own read-only connection, so a
 * long-lived search service (the server) runs the FTS5 query while the main thread encodes the
 * query text: ONNX Runtime's run() occupies the main thread, so without a second thread the two
 * cannot overlap. One worker, started at construction, stopped by close(); it does not keep the
 * process alive while idle. A one-shot search (the CLI) runs the leg inline instead: starting a
 * worker costs more than it saves once.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EngineError, type ErrorCode } from '../errors.ts';
import { DATABASE_FILE } from './database.ts';
import type { ItemKind, KeywordHit, KeywordSearchOptions } from './library.types.ts';
import type { KeywordJob, KeywordReply, KeywordWorkerData } from './keyword-worker.ts';

/** The sources are TypeScript: the worker loads tsx's loader, then the worker module. */
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./keyword-worker.ts', import.meta.url).href)}); })`;

interface Pending {
  resolve(hits: KeywordHit[]): void;
  reject(error: unknown): void;
}

export class KeywordWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: EngineError | undefined;
  private closing: Promise<void> | undefined;

  constructor(libraryDir: string) {
    const workerData: KeywordWorkerData = { dbFile: path.join(libraryDir, DATABASE_FILE), libraryDir };
    this.worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData });
    this.worker.on('message', (reply: KeywordReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) pending.resolve(reply.hits);
      else {
        const details = reply.details as Record<string, unknown> | undefined;
        pending.reject(
          new EngineError(reply.code as ErrorCode, reply.message, details === undefined ? {} : { details }),
        );
      }
    });
    this.worker.on('error', (error) => this.fail(`keyword worker crashed: ${error.message}`));
    this.worker.on('exit', (code) => this.fail(`keyword worker exited with code ${code}`));
    this.worker.unref();
  }

  /** Same answer as Library.keywordSearch on the library's own connection. */
  search(kind: ItemKind, query: string, options: KeywordSearchOptions): Promise<KeywordHit[]> {
    if (this.closing) return Promise.reject(new EngineError('CLOSED', 'the keyword worker is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const job: KeywordJob = { id: this.nextId++, kind, query, options };
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(job);
    });
  }

  /** Stops the worker (closing its connection); queries still waiting fail with CLOSED. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.rejectAll(new EngineError('CLOSED', 'the keyword worker is closed'));
      await this.worker.terminate();
    })();
    return this.closing;
  }

  private fail(why: string): void {
    if (this.closing) return;
    this.failure ??= new EngineError('INTERNAL', why);
    this.rejectAll(this.failure);
  }

  private rejectAll(error: EngineError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}
