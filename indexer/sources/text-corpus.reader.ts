/**
 * Reads a text corpus into (key, text) records: one text per line (.txt), JSON Lines with a
 * `text` field (.jsonl), or CSV/TSV with a `text` column (or the only column). Keys are line or
 * row numbers, so an item's uri `<file>#<key>` stays put while lines are appended.
 */
import { EngineError } from '../../src/errors.ts';
import { extensionOf } from '../discovery/media-types.ts';
import { findColumn, readCsvRows, readLines } from './read-records.ts';

export interface TextRecord {
  readonly key: string;
  readonly text: string;
}

/** Problems with single records (bad JSON on one line) are reported, not thrown. */
export type RecordProblem = (key: string, reason: string) => void;

const TEXT_FIELDS = ['text', 'caption', 'sentence', 'content', 'title'];

export async function* readTextCorpus(
  file: string,
  onProblem: RecordProblem = () => {},
): AsyncGenerator<TextRecord> {
  const ext = extensionOf(file);
  if (ext === 'txt') {
    for await (const [n, line] of readLines(file)) {
      const text = line.trim();
      if (text) yield { key: String(n), text };
    }
    return;
  }
  if (ext === 'jsonl' || ext === 'ndjson') {
    for await (const [n, line] of readLines(file)) {
      if (!line.trim()) continue;
      const text = jsonText(line);
      if (text === undefined) onProblem(String(n), 'line is not a JSON object with a "text" field');
      else if (text) yield { key: String(n), text };
    }
    return;
  }
  if (ext === 'csv' || ext === 'tsv') {
    let column = -1;
    for await (const [n, row] of readCsvRows(file, ext === 'tsv' ? '\t' : undefined)) {
      if (n === 1) {
        column = findColumn(row, TEXT_FIELDS);
        if (column >= 0) continue;
        if (row.length !== 1) {
          throw new EngineError(
            'INVALID_INPUT',
            `${file}: no text column (expected one of: ${TEXT_FIELDS.join(', ')})`,
          );
        }
        column = 0; // a single headerless column: every row is a text
      }
      const text = row[column]?.trim();
      if (text) yield { key: String(n), text };
    }
    return;
  }
  throw new EngineError('UNSUPPORTED_MEDIA', `${file}: text corpora must be .txt, .jsonl or .csv`);
}

function jsonText(line: string): string | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'string') return value.trim();
    if (value && typeof value === 'object') {
      for (const field of TEXT_FIELDS) {
        const text = (value as Record<string, unknown>)[field];
        if (typeof text === 'string') return text.trim();
      }
    }
  } catch {
    // fall through: reported by the caller
  }
  return undefined;
}
