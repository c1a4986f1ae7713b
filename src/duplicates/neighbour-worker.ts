/**
 * Worker-thread side of NeighbourPool (neighbour-pool.ts): opens the library read-only (its own
 * SQLite connection and its own copy of the sealed HNSW segments, loaded from the same files the
 * caller's library loaded) and answers batches of neighbour queries with the same function the
 * serial scan uses, so a parallel scan finds exactly the serial scan's pairs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isEngineError } from '../errors.ts';
import type { LibraryStore } from '../store/library-store.ts';
import type { NeighbourSettings } from '../store/library.types.ts';
import { openLibrary } from '../store/open-library.ts';
import { neighboursOf } from './neighbour-links.ts';

export interface NeighbourWorkerData {
  readonly libraryDir: string;
}

/** A batch of images to query: ids and their vectors, row after row (ids.length × dim floats). */
export interface NeighbourJob {
  readonly id: number;
  readonly settings: NeighbourSettings;
  readonly ids: Int32Array;
  readonly vectors: Float32Array;
}

/** Per query, `counts[i]` neighbours follow in `others`/`cosines`, in the order they were found. */
export type NeighbourReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly counts: Int32Array;
      readonly others: Int32Array;
      readonly cosines: Float64Array;
    }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

export type NeighbourControl = { readonly close: true };

const port = parentPort;
if (port) {
  const data = workerData as NeighbourWorkerData;
  const opened = openLibrary(data.libraryDir, { readOnly: true, create: false });
  opened.catch(() => undefined); // reported with the first job
  const fail = (id: number, error: unknown): void => {
    const reply: NeighbourReply = {
      id,
      ok: false,
      code: isEngineError(error) ? error.code : 'INTERNAL',
      message: `neighbour worker: ${error instanceof Error ? error.message : String(error)}`,
    };
    port.postMessage(reply);
  };
  port.on('message', (message: NeighbourJob | NeighbourControl) => {
    if ('close' in message) {
      void opened
        .then((library) => library.close())
        .catch(() => undefined)
        .finally(() => port.close());
      return;
    }
    opened.then(
      (library) => {
        try {
          const reply = answer(library, message);
          port.postMessage(reply, [
            reply.counts.buffer,
            reply.others.buffer,
            reply.cosines.buffer,
          ] as ArrayBuffer[]);
        } catch (error) {
          fail(message.id, error);
        }
      },
      (error: unknown) => fail(message.id, error),
    );
  });
}

function answer(library: LibraryStore, job: NeighbourJob): NeighbourReply & { ok: true } {
  const n = job.ids.length;
  const dim = n === 0 ? 0 : job.vectors.length / n;
  const counts = new Int32Array(n);
  const others: number[] = [];
  const cosines: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = job.ids[i]!;
    const vector = job.vectors.subarray(i * dim, (i + 1) * dim);
    const { neighbours } = neighboursOf(library, id, vector, job.settings);
    counts[i] = neighbours.length;
    for (const p of neighbours) {
      others.push(p.a === id ? p.b : p.a);
      cosines.push(p.cosine);
    }
  }
  return {
    id: job.id,
    ok: true,
    counts,
    others: Int32Array.from(others),
    cosines: Float64Array.from(cosines),
  };
}
