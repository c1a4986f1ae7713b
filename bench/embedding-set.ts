/**
 * Real-model embedding sets for the vector benches: many distinct inputs run through the bundled
 * model (fixtures/models/clipdex-mini, 256-d) by the engine's own encoders, cached as float32 in
 * bench/.data/embeddings/ and read back by bench/store-scale.ts (`--generator real-images`, …)
 * and bench/intrinsic-dim.ts (`--sources real-images,real-texts`).
 *
 *   npx tsx bench/embedding-set.ts --set images [--n 510000] [--queries 1000] [--threads 1]
 *   npx tsx bench/embedding-set.ts --set texts [--n 210000] [--queries 1000]
 *
 * The synthetic generators (bench/generators.ts) only imitate an embedding's local geometry; these
 * sets are embeddings. What they are made of (everything from fixtures/, nothing downloaded):
 * - `images`: 64×64 scenes composed from the 341 demo emoji (fixtures/demo, see its NOTICE): a
 *   background (white as in the demo set, a flat colour, a two-colour gradient, or a random crop
 *   of one of the photos in fixtures/images), one to three emoji at random sizes and places
 *   (flipped half the time; the white around each emoji, found by a flood fill from its border, is
 *   transparent), then a brightness and per-channel colour shift and sensor-like noise, quantised
 *   to 8 bits and normalised with the model's mean/std (the preprocessor's last step). Each scene
 *   draws its own continuous parameters, so no two are the same picture; scenes of the same emoji
 *   are near neighbours, as burst shots and re-saves are in a photo library.
 * - `texts`: captions composed from the demo captions (English and Chinese labels) and the model's
 *   whole English words, with templates ("a photo of …", "… and …", "a red …", "…的图片"), distinct.
 * Queries, two splits of `--queries` each (`tune` to choose settings, `test` to confirm them;
 * the splits share no string and no scene seed):
 * - `text` (both sets): what a user types — a demo label alone (English or Chinese), a template
 *   ("a photo of a …"), two labels, or a vocabulary word; for `texts`, strings absent from the base.
 * - `image` (`images` only): more scenes, drawn with other seeds (find-similar).
 * Generator names: `real-images` (text queries: the engine's main path, text → image),
 * `real-images-i2i` (image queries), `real-texts`; `@test` selects the test split
 * (`real-images@test`). Rows: `sample(count, 2)` = the first `count` base rows, `sample(count, 3)`
 * = the first `count` queries of the split (store-scale's seeds for data and queries).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toChwTensor } from '../src/image/preprocess.ts';
import { decodeImage, resizeRgbCubic, type RawRgb } from '../src/image/sharp-decoder.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { loadModel } from '../src/model/load-model.ts';
import { gaussian, rng } from './synthetic-random.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.join(REPO, 'fixtures');
export const EMBEDDING_DIR = path.join(REPO, 'bench', '.data', 'embeddings');
/** Bump when a recipe changes: a cached set of another version is refused. */
const RECIPE = 1;
const BASE_SEED = { images: 101, texts: 202 } as const;
const QUERY_SEED = { tune: 303, test: 404 } as const;

export type EmbeddingSetName = 'images' | 'texts';
type Split = keyof typeof QUERY_SEED;
type QueryKind = 'text' | 'image';

interface SetMeta {
  readonly set: EmbeddingSetName;
  readonly recipe: number;
  readonly dim: number;
  readonly model: string;
  /** Rows the build was asked for; readers count the rows actually in the file. */
  readonly base: number;
  readonly queries: Record<string, number>;
  readonly examples: Record<string, string[]>;
  readonly cpuSeconds: number;
  readonly createdAt: string;
}

const metaFile = (set: EmbeddingSetName): string => path.join(EMBEDDING_DIR, `${set}.json`);
const baseFile = (set: EmbeddingSetName): string => path.join(EMBEDDING_DIR, `${set}.base.f32`);
const queryFile = (set: EmbeddingSetName, kind: QueryKind, split: Split): string =>
  path.join(EMBEDDING_DIR, `${set}.${kind}-${split}.f32`);

/** Same shape as bench/generators.ts's Generator (store-scale uses dim, description and sample). */
export interface EmbeddingGenerator {
  readonly name: string;
  readonly dim: number;
  readonly description: string;
  sample(count: number, seed: number): Float32Array;
}

const NAMES: Record<string, { set: EmbeddingSetName; kind: QueryKind }> = {
  'real-images': { set: 'images', kind: 'text' },
  'real-images-i2i': { set: 'images', kind: 'image' },
  'real-texts': { set: 'texts', kind: 'text' },
};

export function isEmbeddingSet(name: string): boolean {
  return name.split('@')[0]! in NAMES;
}

function readRows(file: string, dim: number, count: number, what: string): Float32Array {
  const bytes = count * dim * 4;
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < bytes) throw new Error(`${what}: ${file} holds ${size / dim / 4} rows, ${count} asked`);
    const out = new Float32Array(count * dim);
    let done = 0;
    const view = new Uint8Array(out.buffer);
    while (done < bytes) done += fs.readSync(fd, view, done, Math.min(1 << 28, bytes - done), done);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** A cached set as a store-scale generator, or undefined for a name that is not one. */
export function embeddingGenerator(name: string): EmbeddingGenerator | undefined {
  const [head, split = 'tune'] = name.split('@') as [string, string?];
  const entry = NAMES[head];
  if (!entry) return undefined;
  if (split !== 'tune' && split !== 'test') throw new Error(`${name}: the split must be @tune or @test`);
  const build = `npx tsx bench/embedding-set.ts --set ${entry.set}`;
  if (!fs.existsSync(metaFile(entry.set))) {
    throw new Error(`${name}: no cached set; build it with \`${build}\``);
  }
  const meta = JSON.parse(fs.readFileSync(metaFile(entry.set), 'utf8')) as SetMeta;
  if (meta.recipe !== RECIPE) {
    throw new Error(`${name}: cached recipe ${meta.recipe}, want ${RECIPE}: \`${build}\``);
  }
  const queries = meta.queries[`${entry.kind}-${split}`] ?? 0;
  const rows = fs.existsSync(baseFile(entry.set))
    ? Math.floor(fs.statSync(baseFile(entry.set)).size / (meta.dim * 4))
    : 0;
  return {
    name,
    dim: meta.dim,
    description: `${name}: ${rows} ${entry.set} embedded by ${meta.model} (${meta.dim}-d), ${entry.kind} queries (${split} split, ${queries})`,
    sample(count, seed) {
      if (seed === 2) return readRows(baseFile(entry.set), meta.dim, count, name);
      if (seed === 3) return readRows(queryFile(entry.set, entry.kind, split), meta.dim, count, name);
      throw new Error(`${name}: seed 2 (base) or 3 (queries) only, got ${seed}`);
    },
  };
}

/**
 * Exact top-k (1-based row numbers = store-scale's item ids) of each query over the first n rows,
 * by dot product (rows and queries are unit vectors), ties to the lower id. Rows outer, queries
 * inner, so the query block stays in cache.
 */
export function exactTruth(
  data: Float32Array,
  n: number,
  queries: Float32Array,
  dim: number,
  k: number,
): number[][] {
  const q = queries.length / dim;
  const ids = Array.from({ length: q }, () => new Int32Array(k).fill(-1));
  const scores = Array.from({ length: q }, () => new Float64Array(k).fill(-Infinity));
  for (let p = 0; p < n; p++) {
    const o = p * dim;
    for (let j = 0; j < q; j++) {
      const b = j * dim;
      let s = 0;
      for (let i = 0; i < dim; i++) s += data[o + i]! * queries[b + i]!;
      const sc = scores[j]!;
      if (s <= sc[k - 1]!) continue;
      const id = ids[j]!;
      let i = k - 1;
      while (i > 0 && sc[i - 1]! < s) {
        sc[i] = sc[i - 1]!;
        id[i] = id[i - 1]!;
        i--;
      }
      sc[i] = s;
      id[i] = p + 1;
    }
  }
  return ids.map((id) => Array.from(id));
}

// ---------- composing inputs ----------

interface Sprite {
  /** RGB in [0, 1], S×S×3, and alpha S×S. */
  readonly rgb: Float32Array;
  readonly alpha: Float32Array;
}

const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

function toFloat(image: RawRgb): Float32Array {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = image.data[i]! / 255;
  return out;
}

/** Alpha 0 for the near-white region connected to the border (the demo art is flattened on white). */
function borderWhiteMask(rgb: Float32Array, size: number): Float32Array {
  const alpha = new Float32Array(size * size).fill(1);
  const white = (p: number): boolean => Math.min(rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!) > 0.9;
  const stack: number[] = [];
  for (let i = 0; i < size; i++) stack.push(i, (size - 1) * size + i, i * size, i * size + size - 1);
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (alpha[p] === 0 || !white(p)) continue;
    alpha[p] = 0;
    const x = p % size;
    const y = (p - x) / size;
    if (x > 0) stack.push(p - 1);
    if (x < size - 1) stack.push(p + 1);
    if (y > 0) stack.push(p - size);
    if (y < size - 1) stack.push(p + size);
  }
  return alpha;
}

/** Bilinear sample of an S×S RGB(+alpha) image at (u, v) in source pixels. */
function sampleAt(
  rgb: Float32Array,
  alpha: Float32Array | undefined,
  w: number,
  h: number,
  u: number,
  v: number,
  out: Float32Array,
): number {
  const x0 = Math.max(0, Math.min(w - 1, Math.floor(u)));
  const y0 = Math.max(0, Math.min(h - 1, Math.floor(v)));
  const x1 = Math.min(w - 1, x0 + 1);
  const y1 = Math.min(h - 1, y0 + 1);
  const fx = Math.max(0, Math.min(1, u - x0));
  const fy = Math.max(0, Math.min(1, v - y0));
  const w00 = (1 - fx) * (1 - fy);
  const w10 = fx * (1 - fy);
  const w01 = (1 - fx) * fy;
  const w11 = fx * fy;
  const p00 = y0 * w + x0;
  const p10 = y0 * w + x1;
  const p01 = y1 * w + x0;
  const p11 = y1 * w + x1;
  for (let c = 0; c < 3; c++) {
    out[c] =
      rgb[p00 * 3 + c]! * w00 + rgb[p10 * 3 + c]! * w10 + rgb[p01 * 3 + c]! * w01 + rgb[p11 * 3 + c]! * w11;
  }
  return alpha ? alpha[p00]! * w00 + alpha[p10]! * w10 + alpha[p01]! * w01 + alpha[p11]! * w11 : 1;
}

/** Standard normal draws for pixel noise, looked up rather than drawn (Box–Muller per value cost more than the model). */
const NORMALS = ((): Float32Array => {
  const normal = gaussian(rng(7));
  return Float32Array.from({ length: 1 << 16 }, normal);
})();

class SceneComposer {
  private readonly px = new Float32Array(3);

  constructor(
    private readonly size: number,
    private readonly sprites: readonly Sprite[],
    private readonly photos: readonly RawRgb[],
    private readonly photoRgb: readonly Float32Array[],
  ) {}

  /** One scene, 8-bit RGB S×S. */
  compose(random: () => number): RawRgb {
    const S = this.size;
    const canvas = new Float32Array(S * S * 3);
    const kind = random();
    if (kind < 0.35) canvas.fill(1);
    else if (kind < 0.6) {
      const c = [random(), random(), random()];
      for (let p = 0; p < S * S; p++) for (let k = 0; k < 3; k++) canvas[p * 3 + k] = c[k]!;
    } else if (kind < 0.75) {
      const a = [random(), random(), random()];
      const b = [random(), random(), random()];
      const angle = random() * 2 * Math.PI;
      const dx = Math.cos(angle);
      const dy = Math.sin(angle);
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const t = Math.max(0, Math.min(1, 0.5 + ((x / S - 0.5) * dx + (y / S - 0.5) * dy)));
          for (let k = 0; k < 3; k++) canvas[(y * S + x) * 3 + k] = a[k]! * (1 - t) + b[k]! * t;
        }
      }
    } else {
      const i = Math.floor(random() * this.photos.length);
      const photo = this.photos[i]!;
      const side = Math.min(photo.width, photo.height);
      const crop = S + random() * (side - S);
      const x0 = random() * (photo.width - crop);
      const y0 = random() * (photo.height - crop);
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          sampleAt(
            this.photoRgb[i]!,
            undefined,
            photo.width,
            photo.height,
            x0 + (x * crop) / S,
            y0 + (y * crop) / S,
            this.px,
          );
          canvas.set(this.px, (y * S + x) * 3);
        }
      }
    }
    const roll = random();
    const count = roll < 0.6 ? 1 : roll < 0.9 ? 2 : 3;
    for (let o = 0; o < count; o++) {
      const sprite = pick(random, this.sprites);
      const scale = count === 1 ? 0.6 + 0.4 * random() : 0.35 + 0.45 * random();
      const side = scale * S;
      const left = -0.15 * side + random() * (S - 0.7 * side);
      const top = -0.15 * side + random() * (S - 0.7 * side);
      const flip = random() < 0.5;
      for (let y = Math.max(0, Math.floor(top)); y < Math.min(S, Math.ceil(top + side)); y++) {
        for (let x = Math.max(0, Math.floor(left)); x < Math.min(S, Math.ceil(left + side)); x++) {
          let u = ((x + 0.5 - left) / side) * S - 0.5;
          const v = ((y + 0.5 - top) / side) * S - 0.5;
          if (u < -0.5 || v < -0.5 || u > S - 0.5 || v > S - 0.5) continue;
          if (flip) u = S - 1 - u;
          const a = sampleAt(sprite.rgb, sprite.alpha, S, S, u, v, this.px);
          for (let k = 0; k < 3; k++) {
            const q = (y * S + x) * 3 + k;
            canvas[q] = canvas[q]! * (1 - a) + this.px[k]! * a;
          }
        }
      }
    }
    const bright = 0.85 + 0.3 * random();
    const gain = [0.93 + 0.14 * random(), 0.93 + 0.14 * random(), 0.93 + 0.14 * random()];
    const noise = 0.02 * random();
    const data = new Uint8Array(S * S * 3);
    for (let q = 0; q < data.length; q++) {
      const v = canvas[q]! * bright * gain[q % 3]! + noise * NORMALS[(random() * NORMALS.length) | 0]!;
      data[q] = Math.round(255 * Math.max(0, Math.min(1, v)));
    }
    return { data, width: S, height: S };
  }
}

interface Words {
  readonly en: string[];
  readonly zh: string[];
  readonly vocab: string[];
}

function readWords(): Words {
  const captions = fs
    .readFileSync(path.join(FIXTURES, 'demo', 'captions.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { captions: string[] }).captions);
  const en = [...new Set(captions.map((c) => c[0]!))];
  const zh = [...new Set(captions.map((c) => c[1]).filter((c): c is string => !!c))];
  const vocab = Object.keys(
    (
      JSON.parse(fs.readFileSync(path.join(bundledModelDir(), 'tokenizer.json'), 'utf8')) as {
        model: { vocab: Record<string, number> };
      }
    ).model.vocab,
  ).filter((w) => /^[a-z]{3,}$/.test(w));
  return { en, zh, vocab };
}

const COLOURS = [
  'red',
  'blue',
  'green',
  'yellow',
  'black',
  'white',
  'orange',
  'purple',
  'pink',
  'brown',
  'grey',
];
const PLACES = [
  'on the beach',
  'at night',
  'in the snow',
  'in the forest',
  'in the city',
  'on a table',
  'in the garden',
  'in the kitchen',
  'under the sky',
  'in the water',
];
const ADJECTIVES = ['small', 'big', 'cute', 'old', 'happy'];

/** A caption for the texts base set: templates over demo labels and vocabulary words. */
function caption(random: () => number, words: Words): string {
  const thing = (): string => (random() < 0.5 ? pick(random, words.en) : pick(random, words.vocab));
  const a = thing();
  const t = random();
  if (t < 0.1) return a;
  if (t < 0.2) return `a photo of ${a}`;
  if (t < 0.27) return `an emoji of ${a}`;
  if (t < 0.37) return `${a} and ${thing()}`;
  if (t < 0.45) return `${a} with ${thing()}`;
  if (t < 0.52) return `${a} next to ${thing()}`;
  if (t < 0.6) return `a ${pick(random, COLOURS)} ${a}`;
  if (t < 0.67) return `a ${pick(random, ADJECTIVES)} ${a} ${pick(random, PLACES)}`;
  if (t < 0.74) return `${a} ${pick(random, PLACES)}`;
  if (t < 0.8) return `${a}, ${thing()} and ${thing()}`;
  if (t < 0.86) return pick(random, words.zh);
  if (t < 0.93) return `${pick(random, words.zh)}的图片`;
  return `${pick(random, words.zh)}和${pick(random, words.zh)}`;
}

/** A search a user might type: mostly about the demo concepts, sometimes about any word. */
function query(random: () => number, words: Words): string {
  const t = random();
  if (t < 0.3) return pick(random, words.en);
  if (t < 0.45) return pick(random, words.zh);
  if (t < 0.6) {
    return `${pick(random, ['a photo of a', 'a picture of', 'an emoji of'])} ${pick(random, words.en)}`;
  }
  if (t < 0.7) return `${pick(random, words.zh)}的图片`;
  if (t < 0.85) return `${pick(random, words.en)} and ${pick(random, words.en)}`;
  return random() < 0.5 ? pick(random, words.vocab) : `an emoji of ${pick(random, words.vocab)}`;
}

function distinct(
  count: number,
  seed: number,
  make: (random: () => number) => string,
  avoid: Set<string>,
): string[] {
  const random = rng(seed);
  const out = new Set<string>();
  let tries = 0;
  while (out.size < count) {
    const s = make(random);
    if (!avoid.has(s)) out.add(s);
    if (++tries > count * 50) {
      throw new Error(`only ${out.size} distinct strings of ${count} after ${tries} draws`);
    }
  }
  return [...out];
}

async function loadSprites(size: number): Promise<Sprite[]> {
  const dir = path.join(FIXTURES, 'demo', 'images');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort();
  const sprites: Sprite[] = [];
  for (const f of files) {
    const decoded = await decodeImage(fs.readFileSync(path.join(dir, f)));
    const rgb = toFloat(await resizeRgbCubic(decoded, size, size));
    sprites.push({ rgb, alpha: borderWhiteMask(rgb, size) });
  }
  return sprites;
}

async function loadPhotos(): Promise<RawRgb[]> {
  const dir = path.join(FIXTURES, 'images');
  const photos: RawRgb[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/\.(jpe?g|png)$/.test(f)) continue;
    try {
      const decoded = await decodeImage(fs.readFileSync(path.join(dir, f)));
      const k = 192 / Math.min(decoded.width, decoded.height);
      photos.push(
        k < 1
          ? await resizeRgbCubic(decoded, Math.round(decoded.width * k), Math.round(decoded.height * k))
          : decoded,
      );
    } catch {
      // not-an-image.jpg and truncated.jpg are there to fail.
    }
  }
  return photos;
}

/** `--preview <dir>`: the first 24 base scenes as PNG (upscaled 4×), to look at. */
async function preview(dir: string): Promise<void> {
  const { default: sharp } = await import('sharp');
  const photos = await loadPhotos();
  const composer = new SceneComposer(64, await loadSprites(64), photos, photos.map(toFloat));
  const random = rng(BASE_SEED.images);
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 24; i++) {
    const scene = composer.compose(random);
    await sharp(scene.data, { raw: { width: 64, height: 64, channels: 3 } })
      .resize(256, 256, { kernel: 'nearest' })
      .png()
      .toFile(path.join(dir, `scene-${i}.png`));
  }
}

/**
 * Queries first (small), then the base rows appended a batch at a time: a run stopped part-way
 * leaves a usable prefix (readers count the rows in the file), and a rerun resumes after it
 * (the recipe is replayed, not re-encoded, up to there).
 */
async function build(set: EmbeddingSetName, n: number, queryCount: number, threads: number): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const model = await loadModel(bundledModelDir(), { threads, itm: false });
  const dim = model.image.dim;
  fs.mkdirSync(EMBEDDING_DIR, { recursive: true });
  const examples: Record<string, string[]> = {};
  const counts: Record<string, number> = {};
  const progress = (what: string, done: number, total: number): void => {
    if (done % 10_240 < 256 || done === total) {
      process.stdout.write(
        `  ${what}: ${done}/${total}, ${((performance.now() - started) / 1000).toFixed(0)} s, ${cpuSince(cpu).toFixed(0)} CPU-s\n`,
      );
    }
  };
  const encodeTexts = async (texts: string[], file: string, what: string): Promise<void> => {
    const out = new Float32Array(texts.length * dim);
    for (let i = 0; i < texts.length; i += 256) {
      const vs = await model.text.encodeBatch(texts.slice(i, i + 256));
      vs.forEach((v, j) => out.set(v, (i + j) * dim));
    }
    fs.writeFileSync(file, new Uint8Array(out.buffer));
    examples[what] = texts.slice(0, 12);
    counts[what] = texts.length;
  };
  /** Appends rows made by `batch(from, to)` to the base file from its current row count up to n. */
  const appendBase = async (
    batch: (from: number, to: number) => Promise<Float32Array[]>,
    skip: (rows: number) => void,
  ): Promise<void> => {
    const file = baseFile(set);
    const have = fs.existsSync(file) ? Math.floor(fs.statSync(file).size / (dim * 4)) : 0;
    if (have === 0) fs.writeFileSync(file, '');
    else fs.truncateSync(file, have * dim * 4); // drops a torn last row
    skip(have);
    if (have > 0) console.log(`  base: resuming after ${have} rows`);
    const fd = fs.openSync(file, 'a');
    try {
      for (let i = have; i < n; i += 256) {
        const vs = await batch(i, Math.min(n, i + 256));
        const out = new Float32Array(vs.length * dim);
        vs.forEach((v, j) => out.set(v, j * dim));
        fs.writeSync(fd, new Uint8Array(out.buffer));
        progress('base', i + vs.length, n);
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  try {
    const words = readWords();
    const writeMeta = (): void => {
      const meta: SetMeta = {
        set,
        recipe: RECIPE,
        dim,
        model: `${model.fingerprint.name} (${model.fingerprint.id.slice(0, 12)})`,
        base: n,
        queries: counts,
        examples,
        cpuSeconds: cpuSince(cpu),
        createdAt: new Date().toISOString(),
      };
      fs.writeFileSync(metaFile(set), `${JSON.stringify(meta, null, 2)}\n`);
    };
    if (set === 'images') {
      const spec = model.fingerprint.preprocess;
      const size = spec.width;
      const photos = await loadPhotos();
      const composer = new SceneComposer(size, await loadSprites(size), photos, photos.map(toFloat));
      const scenes = async (random: () => number, count: number): Promise<Float32Array[]> => {
        const batch: Float32Array[] = [];
        for (let j = 0; j < count; j++) batch.push(toChwTensor(composer.compose(random), spec));
        return model.image.encodeBatch(batch);
      };
      const tune = distinct(queryCount, QUERY_SEED.tune, (r) => query(r, words), new Set());
      const test = distinct(queryCount, QUERY_SEED.test, (r) => query(r, words), new Set(tune));
      await encodeTexts(tune, queryFile(set, 'text', 'tune'), 'text-tune');
      await encodeTexts(test, queryFile(set, 'text', 'test'), 'text-test');
      for (const split of ['tune', 'test'] as const) {
        const random = rng(QUERY_SEED[split]);
        const out = new Float32Array(queryCount * dim);
        for (let i = 0; i < queryCount; i += 256) {
          (await scenes(random, Math.min(256, queryCount - i))).forEach((v, j) => out.set(v, (i + j) * dim));
        }
        fs.writeFileSync(queryFile(set, 'image', split), new Uint8Array(out.buffer));
        counts[`image-${split}`] = queryCount;
      }
      writeMeta();
      const random = rng(BASE_SEED.images);
      await appendBase(
        (from, to) => scenes(random, to - from),
        (rows) => {
          for (let i = 0; i < rows; i++) composer.compose(random);
        },
      );
    } else {
      const base = distinct(n, BASE_SEED.texts, (r) => caption(r, words), new Set());
      const avoid = new Set(base);
      const tune = distinct(queryCount, QUERY_SEED.tune, (r) => query(r, words), avoid);
      for (const q of tune) avoid.add(q);
      const test = distinct(queryCount, QUERY_SEED.test, (r) => query(r, words), avoid);
      await encodeTexts(tune, queryFile(set, 'text', 'tune'), 'text-tune');
      await encodeTexts(test, queryFile(set, 'text', 'test'), 'text-test');
      examples.base = base.slice(0, 24);
      writeMeta();
      await appendBase(
        (from, to) => model.text.encodeBatch(base.slice(from, to)),
        () => undefined,
      );
    }
    writeMeta();
    console.log(
      `embedding set ${set}: ${n} base rows + queries ${JSON.stringify(counts)}, ${dim}-d, ${cpuSince(cpu).toFixed(0)} CPU-s (this run), ${((performance.now() - started) / 1000).toFixed(0)} s wall, ${os.availableParallelism()} CPUs, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await model.close();
  }
}

function cpuSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: {
      set: { type: 'string', default: 'images' },
      n: { type: 'string' },
      queries: { type: 'string', default: '1000' },
      threads: { type: 'string', default: '1' },
      preview: { type: 'string' },
      truth: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.truth) {
    // `--truth real-images@test --n 510000 --queries 500 --out <dir>/truth.json`: store-scale's
    // truth file for another query split of a kept library (its probe reads <dir>/truth.json).
    const generator = embeddingGenerator(values.truth)!;
    const q = Number(values.queries);
    const t = performance.now();
    const truth = exactTruth(
      generator.sample(Number(values.n), 2),
      Number(values.n),
      generator.sample(q, 3),
      generator.dim,
      10,
    );
    fs.writeFileSync(values.out!, JSON.stringify(truth));
    console.log(
      `exact top-10 of ${q} queries over ${values.n} rows: ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  if (values.preview) await preview(values.preview);
  const set = values.set as EmbeddingSetName;
  if (set !== 'images' && set !== 'texts') throw new Error('--set must be images or texts');
  const n = Number(values.n ?? (set === 'images' ? 510_000 : 210_000));
  if (!values.preview && !values.truth) await build(set, n, Number(values.queries), Number(values.threads));
}
