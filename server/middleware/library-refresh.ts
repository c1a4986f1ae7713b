/**
 * Makes items committed by a concurrent `clipdex index` searchable without a restart. Looking for
 * them costs a small SQLite read, so it happens at most once per interval and only when a
 * request that reads the library arrives (an idle server does no work).
 */
import type { RequestHandler } from 'express';
import type { Library } from '../../src/store/library.types.ts';

export function libraryRefresh(
  library: Library,
  intervalMs: number,
  log?: (line: string) => void,
): RequestHandler {
  let last = 0;
  return (_req, _res, next) => {
    const now = Date.now();
    if (now - last >= intervalMs) {
      last = now;
      try {
        library.refresh();
      } catch (error) {
        // A failed refresh must not fail the search: the items already loaded are still valid.
        log?.(`library refresh failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    next();
  };
}
