/**
 * Reads image–caption manifests into (image path, captions) records, whatever the dataset's
 * shape: JSON Lines `{"image": "a.jpg", "captions": ["…"]}`, COCO captions JSON
 * (`images[].file_name` + `annotations[].caption`), and Flickr-style CSV/TSV (`image,caption`,
 * Flickr30k's `image_name| comment_number| comment`, or Flickr8k's `name.jpg#0<TAB>caption`).
 * Caption keys are stable per manifest (line, annotation id or row) and become item uris.
 */
import { readFile, stat } from 'node:fs/promises';
import { EngineError } from '../../src/errors.ts';
import { extensionOf, isImageName } from '../discovery/media-types.ts';
import { findColumn, readCsvRows, readLines } from './read-records.ts';
import type { RecordProblem, TextRecord } from './text-corpus.reader.ts';

export interface CaptionRecord {
  /** The image path as the manifest writes it (relative or absolute). */
  readonly image: string;
  readonly captions: readonly TextRecord[];
}

const IMAGE_FIELDS = ['image', 'image_name', 'file_name', 'filename', 'file', 'path', 'image_path', 'img'];
const CAPTION_FIELDS = ['caption', 'comment', 'text', 'sentence', 'raw'];
/** COCO files are parsed whole; refuse absurd sizes instead of exhausting memory. */
const MAX_JSON_BYTES = 512 * 1024 * 1024;

export async function* readCaptionManifest(
  file: string,
  onProblem: RecordProblem = () => {},
): AsyncGenerator<CaptionRecord> {
  const ext = extensionOf(file);
  if (ext === 'jsonl' || ext === 'ndjson') yield* readJsonl(file, onProblem);
  else if (ext === 'json') yield* readCoco(file);
  else if (ext === 'csv' || ext === 'tsv' || ext === 'txt' || ext === 'token') {
    yield* readCsv(file, ext === 'tsv' ? '\t' : undefined);
  } else {
    throw new EngineError(
      'UNSUPPORTED_MEDIA',
      `${file}: caption manifests must be .jsonl, COCO .json or .csv/.tsv`,
    );
  }
}

const MANIFEST_SHAPES =
  'JSON Lines {"image": "a.jpg", "captions": ["…"]}, COCO captions JSON, or image,caption CSV/TSV';
/** Records read from the top of a file before deciding it is not a manifest. */
const PROBE_RECORDS = 200;

/**
 * Throws INVALID_INPUT unless `file` reads as a caption manifest: a known extension and, among its
 * first records, one that names an image file. Run before a library is created or a run recorded.
 */
export async function checkCaptionManifest(file: string): Promise<void> {
  let seen = 0;
  let problems = 0;
  try {
    const onProblem = () => {
      if (++problems >= PROBE_RECORDS) {
        throw new EngineError('INVALID_INPUT', `no valid record in its first ${PROBE_RECORDS} lines`);
      }
    };
    for await (const record of readCaptionManifest(file, onProblem)) {
      if (isImageName(record.image)) return;
      if (++seen >= PROBE_RECORDS) break;
    }
  } catch (error) {
    if (
      error instanceof EngineError &&
      (error.code === 'INVALID_INPUT' || error.code === 'UNSUPPORTED_MEDIA')
    ) {
      throw new EngineError(
        'INVALID_INPUT',
        `--captions ${file}: not a caption manifest (${error.message}); expected ${MANIFEST_SHAPES}`,
        { cause: error },
      );
    }
    throw error;
  }
  throw new EngineError(
    'INVALID_INPUT',
    `--captions ${file}: not a caption manifest (no record naming an image in its first lines); expected ${MANIFEST_SHAPES}`,
  );
}

async function* readJsonl(file: string, onProblem: RecordProblem): AsyncGenerator<CaptionRecord> {
  for await (const [n, line] of readLines(file)) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      onProblem(String(n), 'line is not valid JSON');
      continue;
    }
    const obj = (value ?? {}) as Record<string, unknown>;
    const image = IMAGE_FIELDS.map((f) => obj[f]).find((v): v is string => typeof v === 'string');
    const raw = obj.captions ?? obj.caption ?? obj.texts ?? obj.text;
    const texts = (Array.isArray(raw) ? raw : [raw]).filter(
      (t): t is string => typeof t === 'string' && t.trim() !== '',
    );
    if (!image || texts.length === 0) {
      onProblem(String(n), 'expected {"image": "<path>", "captions": ["…"]}');
      continue;
    }
    yield {
      image,
      captions: texts.map((t, i) => ({ key: texts.length === 1 ? String(n) : `${n}.${i}`, text: t.trim() })),
    };
  }
}

interface CocoFile {
  images?: Array<{ id?: unknown; file_name?: unknown }>;
  annotations?: Array<{ id?: unknown; image_id?: unknown; caption?: unknown }>;
}

async function* readCoco(file: string): AsyncGenerator<CaptionRecord> {
  if ((await stat(file)).size > MAX_JSON_BYTES) {
    throw new EngineError('TOO_LARGE', `${file}: over 512 MB; split it or use JSONL`);
  }
  let coco: CocoFile;
  try {
    coco = JSON.parse(await readFile(file, 'utf8')) as CocoFile;
  } catch (error) {
    throw new EngineError('INVALID_INPUT', `${file}: not valid JSON`, { cause: error });
  }
  if (!Array.isArray(coco.images) || !Array.isArray(coco.annotations)) {
    throw new EngineError(
      'INVALID_INPUT',
      `${file}: expected COCO captions with "images" and "annotations" arrays`,
    );
  }
  const names = new Map<unknown, string>();
  for (const img of coco.images) if (typeof img.file_name === 'string') names.set(img.id, img.file_name);
  const byImage = new Map<string, TextRecord[]>();
  coco.annotations.forEach((a, i) => {
    const name = names.get(a.image_id);
    if (!name || typeof a.caption !== 'string' || !a.caption.trim()) return;
    const key = typeof a.id === 'number' || typeof a.id === 'string' ? String(a.id) : `a${i}`;
    const list = byImage.get(name) ?? [];
    list.push({ key, text: a.caption.trim() });
    byImage.set(name, list);
  });
  for (const [image, captions] of byImage) yield { image, captions };
}

async function* readCsv(file: string, delimiter: string | undefined): AsyncGenerator<CaptionRecord> {
  let imageCol = 0;
  let captionCol = 1;
  for await (const [n, row] of readCsvRows(file, delimiter)) {
    if (n === 1) {
      const i = findColumn(row, IMAGE_FIELDS);
      const c = findColumn(row, CAPTION_FIELDS);
      if (i >= 0 && c >= 0) {
        [imageCol, captionCol] = [i, c];
        continue;
      }
      if (i >= 0 || c >= 0) {
        throw new EngineError('INVALID_INPUT', `${file}: header needs an image column and a caption column`);
      }
      // Headerless (Flickr8k token file): first column image, last column caption.
      if (row.length < 2) {
        throw new EngineError('INVALID_INPUT', `${file}: expected image,caption rows (one column found)`);
      }
      captionCol = row.length - 1;
    }
    // Flickr8k writes `name.jpg#0`: the suffix numbers the caption, it is not part of the file name.
    const image = row[imageCol]?.replace(/#\d+$/, '');
    const text = row[captionCol]?.trim();
    if (image && text) yield { image, captions: [{ key: String(n), text }] };
  }
}
