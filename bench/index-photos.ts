/**
 * Generates the benchmark's photo folder: JPEGs of 3–12 MP that look like photos to a codec
 * (smooth colour fields plus grain, so they neither compress to nothing nor decode trivially).
 * Cached in bench/.data; only missing files are made.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
// Benchmark data generator only: writing JPEGs needs an encoder, and the engine's sharp port
// (src/image/sharp-decoder.ts) deliberately exposes decoding, not photo synthesis.
// eslint-disable-next-line no-restricted-imports
import sharp from 'sharp';

/** [width, height]: 3, 6, 8 and 12 megapixels in the aspect ratios cameras use. */
const SIZES: ReadonlyArray<readonly [number, number]> = [
  [2000, 1500],
  [3000, 2000],
  [3264, 2448],
  [4000, 3000],
];

export async function ensurePhotos(
  dir: string,
  count: number,
  log: (line: string) => void,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const have = new Set(await readdir(dir));
  const files: string[] = [];
  let made = 0;
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const name = `photo-${String(i).padStart(4, '0')}.jpg`;
    files.push(path.join(dir, name));
    if (have.has(name)) continue;
    await makePhoto(path.join(dir, name), i);
    made += 1;
    if (made % 25 === 0) {
      log(`  generated ${made} photos (${((performance.now() - started) / 1000).toFixed(0)}s)`);
    }
  }
  return files;
}

async function makePhoto(file: string, seed: number): Promise<void> {
  const [width, height] = SIZES[seed % SIZES.length]!;
  const rand = mulberry32(seed + 1);
  // A 6×4 field of random colours, blown up with a cubic kernel: soft gradients like sky and walls.
  const field = Buffer.alloc(6 * 4 * 3);
  for (let i = 0; i < field.length; i += 1) field[i] = Math.floor(rand() * 256);
  const base = await sharp(field, { raw: { width: 6, height: 4, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  // Sensor-like grain from a tiled noise patch, so the JPEG carries real detail (~1–3 MB).
  const grain = await sharp({
    create: {
      width: 256,
      height: 256,
      channels: 3,
      background: { r: 128, g: 128, b: 128 },
      noise: { type: 'gaussian', mean: 128, sigma: 28 },
    },
  })
    .png()
    .toBuffer();
  await sharp(base, { raw: { width, height, channels: 3 } })
    .composite([{ input: grain, tile: true, blend: 'overlay' }])
    .jpeg({ quality: 88, chromaSubsampling: '4:2:0' })
    .toFile(file);
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
