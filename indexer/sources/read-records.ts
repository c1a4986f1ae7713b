/**
 * Streaming readers for line- and CSV-shaped files, so a corpus of millions of lines never sits
 * in memory. CSV delimiters are sniffed from the first line: Flickr30k's `results.csv` uses '|',
 * Flickr8k's token file uses tabs, most exports use commas.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

/** Yields [1-based line number, line] with the BOM and trailing CR removed. */
export async function* readLines(file: string): AsyncGenerator<[number, string]> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n += 1;
    yield [n, n === 1 ? raw.replace(/^\uFEFF/, '') : raw];
  }
}

export async function sniffDelimiter(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const first = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
    const counts: Array<[string, number]> = [',', '\t', '|', ';'].map((d) => [d, first.split(d).length - 1]);
    counts.sort((a, b) => b[1] - a[1]);
    const best = counts[0];
    return best && best[1] > 0 ? best[0] : ',';
  } finally {
    await handle.close();
  }
}

/** Yields [1-based record number, fields] (fields trimmed), header included as record 1. */
export async function* readCsvRows(file: string, delimiter?: string): AsyncGenerator<[number, string[]]> {
  const parser = createReadStream(file).pipe(
    parse({
      delimiter: delimiter ?? (await sniffDelimiter(file)),
      bom: true,
      trim: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }),
  );
  let n = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    n += 1;
    yield [n, record];
  }
}

/** Index of the first header cell matching one of the names (case-insensitive), or -1. */
export function findColumn(header: readonly string[], names: readonly string[]): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const name of names) {
    const i = lower.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}
