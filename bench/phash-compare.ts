/**
 * Our perceptual hash (from the pixels the decode already produced) against the npm library
 * sharp-phash (which decodes the file a second time): cost per image and how well each
 * separates edited copies from unrelated pictures, on the generated evaluation set.
 *
 *   cd bench && npm install --no-save sharp-phash && cd .. && npx tsx bench/phash-compare.ts
 *   npx tsx bench/phash-compare.ts --sharp-phash /path/to/sharp-phash/index.js
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage } from '../src/image/sharp-decoder.ts';
import { hammingDistance, perceptualHash } from '../src/image/perceptual-hash.ts';
import { generateEvalSet } from './duplicate-eval-set.ts';

const { values } = parseArgs({
  options: {
    'sharp-phash': { type: 'string' },
    demo: { type: 'string', default: '40' },
    photos: { type: 'string', default: '40' },
  },
});
const require = createRequire(import.meta.url);
const sharpPhash = require(values['sharp-phash'] ?? 'sharp-phash') as (bytes: Uint8Array) => Promise<string>;
const bitsToHex = (bits: string): string =>
  Array.from({ length: 16 }, (_, i) => parseInt(bits.slice(i * 4, i * 4 + 4), 2).toString(16)).join('');

const dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-phash-'));
try {
  const files = await generateEvalSet(dir, {
    demo: Number(values.demo),
    photos: Number(values.photos),
    editsPerSource: 8,
  });
  const ours = new Map<string, string>();
  const theirs = new Map<string, string>();
  let oursMs = 0;
  let decodeMs = 0;
  let theirsMs = 0;
  for (const f of files) {
    const bytes = await readFile(path.join(dir, f.file));
    let t = performance.now();
    const decoded = await decodeImage(bytes);
    decodeMs += performance.now() - t;
    t = performance.now();
    ours.set(f.file, perceptualHash(decoded));
    oursMs += performance.now() - t;
    t = performance.now();
    theirs.set(f.file, bitsToHex(await sharpPhash(bytes)));
    theirsMs += performance.now() - t;
  }
  const n = files.length;
  console.log(
    `${n} images. per image: decode ${(decodeMs / n).toFixed(2)} ms (shared with the encoder), our hash on those pixels ${(oursMs / n).toFixed(3)} ms; sharp-phash (second decode + hash) ${(theirsMs / n).toFixed(2)} ms`,
  );
  const sources = files.filter((f) => f.variant === 'source');
  for (const [name, hashes] of [
    ['ours', ours],
    ['sharp-phash', theirs],
  ] as const) {
    const unrelated: number[] = [];
    for (let i = 0; i < sources.length; i++) {
      for (let j = i + 1; j < sources.length; j++) {
        unrelated.push(hammingDistance(hashes.get(sources[i]!.file)!, hashes.get(sources[j]!.file)!));
      }
    }
    unrelated.sort((a, b) => a - b);
    const cut = unrelated[Math.floor(unrelated.length * 0.01)]!; // 1 % of unrelated pairs at or below
    const edits = files.filter(
      (f) => f.variant !== 'source' && f.variant !== 'other-style' && f.variant !== 'look-alike',
    );
    const within = edits.filter(
      (f) => hammingDistance(hashes.get(f.file)!, hashes.get(f.family)!) < cut,
    ).length;
    const byEdit: Record<string, number> = {};
    for (const f of edits) {
      byEdit[f.variant] = Math.max(
        byEdit[f.variant] ?? 0,
        hammingDistance(hashes.get(f.file)!, hashes.get(f.family)!),
      );
    }
    console.log(
      `${name.padEnd(12)} unrelated pairs: 1st percentile ${cut} bits, median ${unrelated[unrelated.length >> 1]}; edits below that: ${((100 * within) / edits.length).toFixed(1)} %; worst distance per edit ${JSON.stringify(byEdit)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
