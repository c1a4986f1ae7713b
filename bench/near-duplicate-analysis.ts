/**
 * Near-duplicate analysis on a kept evaluation set (bench/duplicates-eval.ts --keep DIR): decodes
 * every file the way indexing does, computes hash/fingerprint candidates, and lists, per negative
 * kind and per edit, the distances a rule would have to separate. Dev tool for choosing rules.
 *
 *   npx tsx bench/near-duplicate-analysis.ts DIR > pairs.tsv
 *
 * One row per pair of files with embedding cosine ≥ 0.88 (not identical bytes): same picture (1/0),
 * kind (the edit, or neg:… for negatives), cosine, hash bits, fingerprint match (−1: hash too far),
 * file a, file b, palette distance.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeImage } from '../src/image/sharp-decoder.ts';
import { hammingDistance, perceptualHash } from '../src/image/perceptual-hash.ts';
import { pictureFingerprint, fingerprintMatch, paletteDistance } from '../src/image/fingerprint.ts';
import { openLibrary } from '../src/store/open-library.ts';
import type { EvalFile } from './duplicate-eval-set.ts';

const dir = process.argv[2]!;
const files = JSON.parse(await readFile(path.join(dir, 'set/manifest.json'), 'utf8')) as EvalFile[];
const lib = await openLibrary(path.join(dir, 'library'), { readOnly: true, create: false });
const idOf = new Map<string, number>();
for (const s of lib.imageSignatures(0, 100000)) idOf.set(s.uri, s.id);
interface F {
  f: EvalFile;
  bytes: string;
  ph: string;
  fp: Uint8Array;
  v: Float32Array;
  w: number;
  h: number;
}
const all: F[] = [];
for (const f of files) {
  const bytes = await readFile(path.join(dir, 'set', f.file));
  const d = await decodeImage(bytes);
  const id = [...idOf.entries()].find(([u]) => u.endsWith(f.file))?.[1];
  const v = id === undefined ? undefined : lib.getVector(id);
  if (!v) continue;
  all.push({
    f,
    bytes: bytes.toString('base64'),
    ph: perceptualHash(d),
    fp: pictureFingerprint(d),
    v,
    w: d.width,
    h: d.height,
  });
}
await lib.close();
const cos = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const rows: string[] = [];
for (let i = 0; i < all.length; i++) {
  for (let j = i + 1; j < all.length; j++) {
    const a = all[i]!;
    const b = all[j]!;
    if (a.bytes === b.bytes) continue;
    const c = cos(a.v, b.v);
    const d = hammingDistance(a.ph, b.ph);
    if (c < 0.88) continue; // below every near and similar threshold
    const same = a.f.family === b.f.family;
    const kind = same
      ? a.f.variant === 'source' || a.f.variant === 'copy'
        ? b.f.variant
        : b.f.variant === 'source' || b.f.variant === 'copy'
          ? a.f.variant
          : `${a.f.variant}+${b.f.variant}`
      : a.f.concept === b.f.concept
        ? `neg:${[a.f.variant, b.f.variant].sort().join('/')}`
        : 'neg:other-concept';
    const m = d <= 32 ? fingerprintMatch(a.fp, a.w / a.h, b.fp, b.w / b.h) : -1;
    const pd = paletteDistance(a.fp, b.fp);
    rows.push(
      [same ? 1 : 0, kind, c.toFixed(4), d, m.toFixed(4), a.f.file, b.f.file, pd.toFixed(2)].join('\t'),
    );
  }
}
process.stdout.write(rows.join('\n') + '\n');
