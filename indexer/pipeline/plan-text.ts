/**
 * Decides what one text (a corpus line or a caption) needs: nothing when the same text is
 * already indexed under its uri, a copied vector when identical text is indexed elsewhere
 * (captions repeat a lot), otherwise a trip through the text tower.
 */
import { createHash } from 'node:crypto';
import type { PairWrite } from '../../src/store/library.types.ts';
import type { IndexLibrary } from './index-deps.ts';
import type { WorkUnit } from './work-unit.ts';

export interface TextEntry {
  readonly rootId: number;
  readonly uri: string;
  readonly text: string;
  /** Images this text captions. */
  readonly pairs?: readonly PairWrite[];
}

export function planText(entry: TextEntry, library: IndexLibrary): WorkUnit | null {
  const contentHash = createHash('sha256').update(entry.text, 'utf8').digest('hex');
  const existing = library.findByUri(entry.rootId, entry.uri);
  const withPairs = entry.pairs?.length ? { pairs: entry.pairs } : {};
  if (existing?.status === 'indexed' && existing.contentHash === contentHash) {
    // Unchanged; re-offer its links in case the image was indexed after the caption.
    return entry.pairs?.length ? { type: 'pairs', pairs: entry.pairs } : null;
  }
  const draft = {
    kind: 'text' as const,
    rootId: entry.rootId,
    uri: entry.uri,
    contentHash,
    text: entry.text,
  };
  for (const twin of library.findByHash('text', contentHash)) {
    const vector = library.getVector(twin.id);
    if (vector) {
      return {
        type: 'write',
        outcome: 'reused',
        write: { ...draft, status: 'indexed', vector },
        ...withPairs,
      };
    }
  }
  return { type: 'encode-text', draft, text: entry.text, ...withPairs };
}
