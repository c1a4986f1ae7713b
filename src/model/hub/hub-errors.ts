/**
 * Turns hub HTTP answers and transport failures into EngineErrors with the fix in the message.
 * The hub tells *why* in `X-Error-Code` (it answers 401 for a repo that does not exist, so that
 * private repos stay hidden), which is clearer than the status alone.
 */
import { EngineError } from '../../errors.ts';

export function hubStatusError(response: Response, what: string): EngineError {
  const status = response.status;
  const hubCode = response.headers.get('x-error-code') ?? '';
  const details = { status, url: response.url, hubCode: hubCode || undefined };
  if (hubCode === 'GatedRepo') {
    return new EngineError(
      'UNAUTHORIZED',
      `${what}: this repository is gated; accept its terms on the hub, then set HF_TOKEN to a token of that account (HTTP ${status})`,
      { details },
    );
  }
  if (
    status === 404 ||
    hubCode === 'RepoNotFound' ||
    hubCode === 'RevisionNotFound' ||
    hubCode === 'EntryNotFound'
  ) {
    const hint = status === 401 ? ' (or it is private: set HF_TOKEN)' : '';
    return new EngineError(
      'NOT_FOUND',
      `${what}: not found on the hub${hint} (HTTP ${status}${hubCode ? `, ${hubCode}` : ''})`,
      { details },
    );
  }
  if (status === 401 || status === 403) {
    return new EngineError(
      'UNAUTHORIZED',
      `${what}: access denied (HTTP ${status}); set HF_TOKEN to a token that can read this repository`,
      { details },
    );
  }
  return new EngineError('NETWORK_ERROR', `${what}: the hub answered HTTP ${status}`, { details });
}

/** Statuses worth retrying: the request may succeed unchanged a moment later. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function transportError(error: unknown, what: string, signal?: AbortSignal): EngineError {
  if (error instanceof EngineError) return error;
  if (signal?.aborted) {
    return new EngineError('ABORTED', `${what}: cancelled`, { cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new EngineError('NETWORK_ERROR', `${what}: ${reason}`, { cause: error });
}
