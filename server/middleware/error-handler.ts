/**
 * The one place where engine error codes become HTTP statuses, and every failure becomes the
 * same JSON body: `{ "error": { "code", "message", "requestId" } }`. Anything that is not an
 * EngineError is a bug: it is logged with the request id and answered with a generic 500 that
 * leaks no internals.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { EngineError, type ErrorCode } from '../../src/errors.ts';
import { requestIdOf } from './request-id.ts';

/** Exhaustive by type: adding an ErrorCode fails compilation until it gets a status here. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  MODEL_MISMATCH: 409,
  LIBRARY_BUSY: 409,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA: 415,
  DIMENSION_MISMATCH: 422,
  RERANK_UNAVAILABLE: 422,
  ABORTED: 499,
  INTERNAL: 500,
  IO_ERROR: 500,
  INDEX_CORRUPT: 500,
  NETWORK_ERROR: 502,
  CLOSED: 503,
  MODEL_LOAD_FAILED: 503,
  PROVIDER_UNAVAILABLE: 503,
  TIMEOUT: 503,
});

export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly requestId: string | undefined;
  };
}

/** Errors thrown by body parsers and multer carry these shapes; turn them into ours. */
function fromFrameworkError(error: unknown): EngineError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as {
    type?: unknown;
    code?: unknown;
    status?: unknown;
    name?: unknown;
    message?: unknown;
    field?: unknown;
  };
  if (e.type === 'entity.parse.failed') {
    return new EngineError('INVALID_INPUT', 'request body is not valid JSON');
  }
  if (e.type === 'entity.too.large' || e.code === 'LIMIT_FILE_SIZE' || e.code === 'LIMIT_FIELD_VALUE') {
    return new EngineError('TOO_LARGE', 'request body is larger than the upload limit');
  }
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return new EngineError('UNSUPPORTED_MEDIA', 'unsupported request body encoding');
  }
  // body-parser passes zlib's own error (no `type`) when a gzip/deflate/br body does not inflate.
  if (
    e.status === 400 &&
    typeof e.code === 'string' &&
    (e.code.startsWith('Z_') || e.code.startsWith('ERR__ERROR'))
  ) {
    return new EngineError(
      'INVALID_INPUT',
      `request body does not match its Content-Encoding: ${String(e.message)}`,
    );
  }
  if (e.name === 'MulterError') {
    const field = typeof e.field === 'string' ? ` (field '${e.field}')` : '';
    return new EngineError('INVALID_INPUT', `bad multipart upload: ${String(e.message)}${field}`);
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.type === 'string') {
    return new EngineError('INVALID_INPUT', `bad request body: ${String(e.message)}`);
  }
  if (e.message === 'Unexpected end of form' || e.message === 'Multipart: Boundary not found') {
    return new EngineError('INVALID_INPUT', `bad multipart upload: ${e.message}`);
  }
  return undefined;
}

export function errorBody(code: ErrorCode, message: string, requestId: string | undefined): ErrorBody {
  return { error: { code, message, requestId } };
}

export function errorHandler(log: ((line: string) => void) | undefined): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error); // express closes the connection; nothing sane can be written now
      return;
    }
    const requestId = requestIdOf(res);
    const known = error instanceof EngineError ? error : fromFrameworkError(error);
    if (!known) {
      log?.(
        `[${requestId}] unhandled error on ${req.method} ${req.originalUrl}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      res
        .status(500)
        .json(
          errorBody('INTERNAL', `internal error; quote request id ${requestId} when reporting it`, requestId),
        );
      return;
    }
    const status = STATUS_BY_CODE[known.code];
    // 500s say what broke on our side, not where (paths, SQL): those go to the log.
    const message =
      status === 500 ? `internal error (${known.code}); quote request id ${requestId}` : known.message;
    if (status === 500) log?.(`[${requestId}] ${known.code}: ${known.stack ?? known.message}`);
    if (known.code === 'UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer realm="clipdex"');
    res.status(status).json(errorBody(known.code, message, requestId));
  };
}

/** The last route: anything unmatched is a JSON 404, never express's HTML page. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new EngineError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};
