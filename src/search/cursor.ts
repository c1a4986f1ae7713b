/** Opaque page cursors: base64url JSON holding the offset of the next page. */
import { EngineError } from '../errors.ts';

interface CursorState {
  readonly offset: number;
}

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify({ o: state.offset }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorState {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return { offset: parsed.o };
  } catch {
    // fall through to the typed error
  }
  throw new EngineError('INVALID_INPUT', 'invalid cursor: pass back the nextCursor of a previous page unchanged');
}
