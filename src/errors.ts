/**
 * The one error type of the engine. Every failure the core reports carries a stable `code`;
 * the server maps codes to HTTP statuses in one place and the CLI maps them to exit codes.
 * Nothing in `src/` knows about HTTP.
 */
export type ErrorCode =
  | 'INVALID_INPUT' // the caller sent something malformed (bad query, bad option value)
  | 'NOT_FOUND' // an item, file, model or library that should exist does not
  | 'UNSUPPORTED_MEDIA' // bytes that are not a decodable image, or a format we cannot read
  | 'TOO_LARGE' // over a size or pixel limit
  | 'MODEL_LOAD_FAILED' // a model package is missing files, has a corrupt graph or an unknown layout
  | 'MODEL_MISMATCH' // vectors from one model offered to a library built with another
  | 'DIMENSION_MISMATCH' // towers or vectors whose dimensions disagree
  | 'INDEX_CORRUPT' // an on-disk index or database that cannot be read back
  | 'LIBRARY_BUSY' // another process holds the library's write lock
  | 'CONFLICT' // a uniqueness or state conflict
  | 'IO_ERROR' // disk full, permission denied, read-only filesystem
  | 'PROVIDER_UNAVAILABLE' // an execution provider (cuda, webgpu) that cannot start here
  | 'NETWORK_ERROR' // model downloads only
  | 'CLOSED' // use of a resource after close()
  | 'ABORTED' // cancelled through an AbortSignal
  | 'TIMEOUT'
  | 'UNAUTHORIZED'
  | 'RERANK_UNAVAILABLE' // re-ranking asked of a model that has no image–text matching stage
  | 'INTERNAL';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly code: ErrorCode;
  /** Structured facts for machines (e.g. both model fingerprints on a mismatch). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

export function isEngineError(value: unknown, code?: ErrorCode): value is EngineError {
  return value instanceof EngineError && (code === undefined || value.code === code);
}

/** Turns Node's fs error codes into ours, keeping the original as `cause`. */
export function fromFsError(error: unknown, what: string): EngineError {
  if (error instanceof EngineError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const reason = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOENT':
      return new EngineError('NOT_FOUND', `${what}: no such file or directory`, { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new EngineError('IO_ERROR', `${what}: permission denied or read-only (${code})`, {
        cause: error,
      });
    case 'ENOSPC':
    case 'EDQUOT':
      return new EngineError('IO_ERROR', `${what}: no space left on device`, { cause: error });
    default:
      return new EngineError('IO_ERROR', `${what}: ${reason}`, { cause: error });
  }
}
