/**
 * Worker-thread side of the segment builder: builds, writes and hashes one HNSW segment per
 * message, so seals, merges and rebuilds never block the thread that encodes, writes and serves.
 */
import { parentPort } from 'node:worker_threads';
import { isEngineError } from '../errors.ts';
import { buildSegment, type BuildJob } from './segment-build.ts';

export type WorkerJob = BuildJob & { readonly id: number };
export type WorkerReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly allLabels: Uint32Array;
      readonly labelsSha256: string;
      readonly labels: Int32Array;
      readonly slots: number;
      readonly deleted: Int32Array;
      readonly bytes: number;
      readonly quick: string;
      readonly sha256: string;
    }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

const port = parentPort;
if (port) {
  port.on('message', (job: WorkerJob) => {
    buildSegment(job).then(
      (built) => {
        const reply: WorkerReply = { id: job.id, ok: true, ...built };
        port.postMessage(reply, [
          built.labels.buffer as ArrayBuffer,
          built.deleted.buffer as ArrayBuffer,
          built.allLabels.buffer as ArrayBuffer,
        ]);
      },
      (error: unknown) => {
        const reply: WorkerReply = {
          id: job.id,
          ok: false,
          code: isEngineError(error) ? error.code : 'INTERNAL',
          message: error instanceof Error ? error.message : String(error),
        };
        port.postMessage(reply);
      },
    );
  });
}
