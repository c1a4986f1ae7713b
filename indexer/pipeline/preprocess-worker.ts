/**
 * Worker-thread side of the preprocess pool: hashes, decodes and preprocesses images off the
 * main thread. Half of preprocessing (the Pillow-exact resample) is synchronous JavaScript, so on a
 * machine with several cores only worker threads let it run in parallel.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { PreprocessSpec } from '../../src/image/preprocess.types.ts';
import { isEngineError } from '../../src/errors.ts';
import { SharpImagePreprocessor, type PreprocessFidelity } from '../../src/image/image-preprocessor.ts';

export interface PreprocessJob {
  readonly id: number;
  /** 'hash': sha256 hex of the bytes; 'preprocess': the tensor. */
  readonly kind: 'hash' | 'preprocess';
  readonly bytes: Uint8Array;
  readonly maxPixels?: number;
}

export type PreprocessReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly pixels: Float32Array;
      readonly width: number;
      readonly height: number;
      readonly format: string;
      readonly phash?: string;
      readonly fingerprint?: Uint8Array;
    }
  | { readonly id: number; readonly ok: true; readonly hash: string }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

const port = parentPort;
if (port) {
  const data = workerData as { spec: PreprocessSpec; fidelity?: PreprocessFidelity };
  const preprocessor = new SharpImagePreprocessor(
    data.spec,
    data.fidelity ? { fidelity: data.fidelity } : {},
  );
  port.on('message', (job: PreprocessJob) => {
    if (job.kind === 'hash') {
      const reply: PreprocessReply = {
        id: job.id,
        ok: true,
        hash: createHash('sha256').update(job.bytes).digest('hex'),
      };
      port.postMessage(reply);
      return;
    }
    preprocessor.preprocess(job.bytes, job.maxPixels === undefined ? {} : { maxPixels: job.maxPixels }).then(
      (r) => {
        const reply: PreprocessReply = {
          id: job.id,
          ok: true,
          pixels: r.pixels,
          width: r.width,
          height: r.height,
          format: r.format,
          ...(r.phash === undefined ? {} : { phash: r.phash }),
          ...(r.fingerprint === undefined ? {} : { fingerprint: r.fingerprint }),
        };
        port.postMessage(reply, [r.pixels.buffer as ArrayBuffer]);
      },
      (error: unknown) => {
        const reply: PreprocessReply = {
          id: job.id,
          ok: false,
          code: isEngineError(error) ? error.code : 'UNSUPPORTED_MEDIA',
          message: error instanceof Error ? error.message : String(error),
        };
        port.postMessage(reply);
      },
    );
  });
}
