/**
 * Downloads one hub file into a `.part` file, resuming with an HTTP Range request after a
 * dropped connection (and across runs: the part file stays until it is complete), then checks
 * size and checksum. A file that fails its checksum is deleted, never kept.
 */
import { createWriteStream } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from '../../errors.ts';
import { digestFile } from './file-checksum.ts';
import type { HubClient, HubFile } from './hub-client.ts';
import { transportError } from './hub-errors.ts';

export interface FileDownloadOptions {
  readonly client: HubClient;
  readonly repo: string;
  readonly commit: string;
  readonly file: HubFile;
  /** Where the bytes go; renamed into place by the caller once every file has verified. */
  readonly partPath: string;
  readonly signal?: AbortSignal | undefined;
  /** Called with the bytes on disk so far (including bytes resumed from an earlier run). */
  readonly onBytes?: ((received: number) => void) | undefined;
  readonly onRetry?: ((attempt: number, reason: string) => void) | undefined;
  /** Extra attempts after a dropped connection or a transient HTTP status. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

async function sizeOnDisk(filePath: string): Promise<number> {
  try {
    return (await stat(filePath)).size;
  } catch {
    return 0;
  }
}

export async function downloadHubFile(options: FileDownloadOptions): Promise<void> {
  const { repo, file, partPath, signal } = options;
  const what = `${repo}/${file.path}`;
  const retries = options.retries ?? 5;
  let attempt = 0;
  for (;;) {
    let offset = await sizeOnDisk(partPath);
    if (offset > file.size) {
      await truncate(partPath, 0);
      offset = 0;
    }
    options.onBytes?.(offset);
    if (offset === file.size) break;
    try {
      await fetchInto(options, offset, what);
      break;
    } catch (error) {
      const failure = transportError(error, what, signal);
      if (failure.code !== 'NETWORK_ERROR' || failure.details?.retryable === false || attempt >= retries) {
        throw failure;
      }
      attempt += 1;
      options.onRetry?.(attempt, failure.message);
      await sleep((options.retryDelayMs ?? 500) * attempt, undefined, signal ? { signal } : {}).catch(
        () => undefined,
      );
    }
  }
  await verify(file, partPath, what);
}

async function fetchInto(options: FileDownloadOptions, offset: number, what: string): Promise<void> {
  const { repo, commit, file, partPath, signal } = options;
  const { response, linkedEtag, linkedSize } = await options.client.openFile(
    repo,
    commit,
    file.path,
    offset,
    signal,
  );
  if (linkedSize !== undefined && linkedSize !== file.size) {
    await response.body?.cancel();
    throw new EngineError(
      'NETWORK_ERROR',
      `${what}: the hub says ${linkedSize} bytes but its file list says ${file.size}`,
      { details: { retryable: false } },
    );
  }
  if (linkedEtag && file.sha256 && linkedEtag !== file.sha256) {
    await response.body?.cancel();
    throw new EngineError(
      'NETWORK_ERROR',
      `${what}: the hub's X-Linked-Etag ${linkedEtag} disagrees with its file list (${file.sha256})`,
      { details: { retryable: false } },
    );
  }
  let start = offset;
  if (response.status === 416 || (response.status === 206 && !contentRangeStartsAt(response, offset))) {
    // The server cannot continue from our offset: start the file again.
    await response.body?.cancel();
    await truncate(partPath, 0);
    throw new EngineError('NETWORK_ERROR', `${what}: server refused to resume at byte ${offset}; restarting`);
  }
  if (response.status === 200 && offset > 0) {
    start = 0; // a server that ignores Range sends the whole file again
  }
  if (!response.body) throw new EngineError('NETWORK_ERROR', `${what}: empty response body`);
  let received = start;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      options.onBytes?.(received);
      done(null, chunk);
    },
  });
  const sink = createWriteStream(partPath, { flags: start > 0 ? 'a' : 'w' });
  await pipeline(Readable.fromWeb(response.body), counter, sink, signal ? { signal } : {});
  if (received < file.size) {
    throw new EngineError(
      'NETWORK_ERROR',
      `${what}: connection closed after ${received} of ${file.size} bytes`,
    );
  }
}

function contentRangeStartsAt(response: Response, offset: number): boolean {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match !== null && Number(match[1]) === offset;
}

async function verify(file: HubFile, partPath: string, what: string): Promise<void> {
  const digests = await digestFile(partPath, file.size);
  let problem: string | undefined;
  if (digests.size !== file.size) problem = `size ${digests.size} bytes, expected ${file.size}`;
  else if (file.sha256 && digests.sha256 !== file.sha256) {
    problem = `sha256 ${digests.sha256}, expected ${file.sha256}`;
  } else if (!file.sha256 && file.gitOid && digests.gitOid !== file.gitOid) {
    problem = `git blob id ${digests.gitOid}, expected ${file.gitOid}`;
  }
  if (problem) {
    await rm(partPath, { force: true });
    throw new EngineError(
      'NETWORK_ERROR',
      `${what}: downloaded file is corrupt (${problem}); it was deleted, run the pull again`,
      {
        details: { file: file.path, retryable: false },
      },
    );
  }
}
