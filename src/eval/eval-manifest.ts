/**
 * The evaluation manifest: JSON Lines, one image per line, `{"image": "<path>", "captions": [...]}`
 * — the shape Flickr30k / COCO Karpathy splits convert to. Image paths are relative to the
 * manifest's folder (absolute paths are kept). A line with no captions is a distractor: it is
 * ranked against in text→image but never asked about. Blank lines and extra fields are ignored.
 */
import path from 'node:path';
import { EngineError } from '../errors.ts';

export interface EvalEntry {
  /** Absolute image path. */
  readonly image: string;
  readonly captions: readonly string[];
}

export interface EvalManifest {
  readonly entries: readonly EvalEntry[];
  readonly captionCount: number;
}

function fail(line: number, why: string): never {
  throw new EngineError('INVALID_INPUT', `eval manifest line ${line}: ${why}`);
}

export function parseEvalManifest(text: string, baseDir: string): EvalManifest {
  const entries: EvalEntry[] = [];
  let captionCount = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fail(i + 1, 'not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(i + 1, 'expected an object');
    }
    const { image, captions } = value as { image?: unknown; captions?: unknown };
    if (typeof image !== 'string' || !image) fail(i + 1, '"image" must be a non-empty string');
    const list = captions === undefined ? [] : captions;
    if (!Array.isArray(list) || list.some((c) => typeof c !== 'string' || !c.trim())) {
      fail(i + 1, '"captions" must be an array of non-empty strings');
    }
    const texts = (list as string[]).map((c) => c.trim());
    captionCount += texts.length;
    entries.push({ image: path.resolve(baseDir, image), captions: texts });
  });
  if (!entries.length) throw new EngineError('INVALID_INPUT', 'eval manifest has no images');
  if (!captionCount) throw new EngineError('INVALID_INPUT', 'eval manifest has no captions');
  return { entries, captionCount };
}
