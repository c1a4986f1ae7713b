/**
 * Reads a labels file for `clipdex tag`: UTF-8 text, one label per line. Blank lines are
 * skipped, surrounding spaces trimmed, repeated labels kept once (all reported back). Bytes that
 * are not UTF-8, an empty set, labels over 200 characters and more than MAX_TAG_LABELS labels
 * are refused with an error that says which line.
 */
import { EngineError } from '../errors.ts';

/** The documented limit: every label is encoded (× templates) once per `clipdex tag` run. */
export const MAX_TAG_LABELS = 10_000;
export const MAX_LABEL_CHARS = 200;

export interface LabelsFile {
  readonly labels: readonly string[];
  readonly blankLines: number;
  /** Labels that appeared more than once (kept once). */
  readonly duplicates: readonly string[];
}

export function parseLabels(bytes: Uint8Array, name = 'labels file'): LabelsFile {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new EngineError(
      'INVALID_INPUT',
      `${name} is not UTF-8 text (line ${firstBadLine(bytes)}); save it as UTF-8`,
    );
  }
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const labels: string[] = [];
  let blankLines = 0;
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const label = raw.trim();
      if (label === '') {
        blankLines += 1;
        return;
      }
      if (label.length > MAX_LABEL_CHARS) {
        throw new EngineError(
          'INVALID_INPUT',
          `${name} line ${i + 1}: a label has at most ${MAX_LABEL_CHARS} characters`,
        );
      }
      if (seen.has(label)) {
        duplicates.add(label);
        return;
      }
      seen.add(label);
      labels.push(label);
    });
  if (labels.length === 0) throw new EngineError('INVALID_INPUT', `${name} has no labels (one per line)`);
  if (labels.length > MAX_TAG_LABELS) {
    throw new EngineError(
      'INVALID_INPUT',
      `${name} has ${labels.length} distinct labels; at most ${MAX_TAG_LABELS} are supported`,
    );
  }
  return { labels, blankLines, duplicates: [...duplicates] };
}

/** 1-based number of the first line that is not valid UTF-8. */
function firstBadLine(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    try {
      decoder.decode(bytes.subarray(start, i));
    } catch {
      return line;
    }
    line += 1;
    start = i + 1;
  }
  return line;
}
