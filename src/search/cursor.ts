/**
 * Opaque page cursors: base64url JSON holding the offset of the next page and, for re-ranked
 * searches, the re-ranked window (item ids and their ITM logits, packed little-endian u32 + f32),
 * so later pages page through the same order without running the ITM stage again.
 */
import { EngineError } from '../errors.ts';

export interface RerankWindowState {
  readonly ids: readonly number[];
  readonly itm: readonly number[];
}

interface CursorState {
  readonly offset: number;
  readonly rerank?: RerankWindowState;
}

function packWindow(w: RerankWindowState): string {
  const buf = Buffer.alloc(8 * w.ids.length);
  w.ids.forEach((id, i) => {
    buf.writeUInt32LE(id, 8 * i);
    buf.writeFloatLE(w.itm[i]!, 8 * i + 4);
  });
  return buf.toString('base64url');
}

function unpackWindow(text: string): RerankWindowState | undefined {
  const buf = Buffer.from(text, 'base64url');
  if (buf.length % 8 !== 0) return undefined;
  const ids: number[] = [];
  const itm: number[] = [];
  for (let at = 0; at < buf.length; at += 8) {
    ids.push(buf.readUInt32LE(at));
    const logit = buf.readFloatLE(at + 4);
    if (!Number.isFinite(logit)) return undefined;
    itm.push(logit);
  }
  return { ids, itm };
}

export function encodeCursor(state: CursorState): string {
  const json = state.rerank ? { o: state.offset, r: packWindow(state.rerank) } : { o: state.offset };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorState {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      o?: unknown;
      r?: unknown;
    };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) {
      if (parsed.r === undefined) return { offset: parsed.o };
      const rerank = typeof parsed.r === 'string' ? unpackWindow(parsed.r) : undefined;
      if (rerank) return { offset: parsed.o, rerank };
    }
  } catch {
    // fall through to the typed error
  }
  throw new EngineError(
    'INVALID_INPUT',
    'invalid cursor: pass back the nextCursor of a previous page unchanged',
  );
}
