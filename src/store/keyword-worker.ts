/**
 * Worker-thread side of KeywordWorker (keyword-worker-host.ts): its own read-only connection to
 * the library database (a WAL reader beside the server's), answering keyword-leg queries with
 * the same function as the library's connection. Errors go back as EngineError code + message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EngineError } from '../errors.ts';
import { openDatabase } from './database.ts';
import { KeywordRepository } from './keyword.repository.ts';
import { keywordSearch } from './keyword-search.ts';
import type { ItemKind, KeywordHit, KeywordSearchOptions } from './library.types.ts';
import { RootRepository } from './root.repository.ts';

export interface KeywordWorkerData {
  readonly dbFile: string;
  readonly libraryDir: string;
}

export interface KeywordJob {
  readonly id: number;
  readonly kind: ItemKind;
  readonly query: string;
  readonly options: KeywordSearchOptions;
}

export type KeywordReply =
  | { readonly id: number; readonly ok: true; readonly hits: KeywordHit[] }
  | {
      readonly id: number;
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly details?: unknown;
    };

const port = parentPort!;
const data = workerData as KeywordWorkerData;
let sources: { keywords: KeywordRepository; roots: RootRepository } | undefined;
let openError: unknown;
try {
  const db = openDatabase(data.dbFile, { readOnly: true, create: false });
  sources = { keywords: new KeywordRepository(db), roots: new RootRepository(db, data.libraryDir) };
} catch (error) {
  openError = error;
}

port.on('message', (job: KeywordJob) => {
  try {
    if (!sources) throw openError;
    port.postMessage({
      id: job.id,
      ok: true,
      hits: keywordSearch(sources, job.kind, job.query, job.options),
    });
  } catch (error) {
    const engine =
      error instanceof EngineError
        ? error
        : new EngineError(
            'INTERNAL',
            `keyword worker: ${error instanceof Error ? error.message : String(error)}`,
          );
    port.postMessage({
      id: job.id,
      ok: false,
      code: engine.code,
      message: engine.message,
      ...(engine.details === undefined ? {} : { details: engine.details }),
    });
  }
});
