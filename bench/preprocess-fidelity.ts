/**
 * bench/preprocess-fidelity: how far can JPEG shrink-on-load go before it changes what reaches
 * the embedding? For shrink margins 12…2 (the decoded short side kept ≥ margin × model input) and
 * for libvips' cubic resize instead of the Pillow port (decoded to JS first, then resampled; the
 * engine's default does both in one libvips pipeline: its own row), compared with the full-decode
 * Pillow-exact path on photo-like JPEGs (the bench's generated 3–12 MP photos,
 * fixtures/images/photo-4000.jpg and a small JPEG that never shrinks), it prints per model size:
 *   - pixel cos: min cosine of the normalised CHW tensors to the exact path,
 *   - emb cos: min cosine of the image embeddings to the exact path's (bundled clipdex-mini at
 *     64 px; a ViT-B/32-shaped graph at 224 px with RANDOM weights, a sensitivity proxy only),
 *   - cpu ms: median CPU time per image (decode + resample + normalise, one at a time; CPU time of
 *     all threads rather than wall time, so a busy shared machine moves it less).
 * "different images" gives the median embedding cosine between unrelated photos, to show what
 * scale of change each model notices at all.
 *
 *   npx tsx bench/preprocess-fidelity.ts [--images 8] [--repeats 2]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PreprocessSpec } from '../src/image/preprocess.types.ts';
import { SharpImagePreprocessor } from '../src/image/image-preprocessor.ts';
import { pilResizeCrop } from '../src/image/pil-resample.ts';
import { cropRgb, planResize, toChwTensor } from '../src/image/preprocess.ts';
import { decodeImage, jpegShrinkFactor, resizeRgbCubic } from '../src/image/sharp-decoder.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { loadModel } from '../src/model/load-model.ts';
import { cosine } from '../src/vector/vector-math.ts';
import { ensurePhotos } from './index-photos.ts';

const { values } = parseArgs({
  options: { images: { type: 'string', default: '8' }, repeats: { type: 'string', default: '2' } },
});
const repeats = Math.max(1, Number(values.repeats));
const here = import.meta.dirname;
const vitDir = path.join(here, '.data', 'vit-b32');
if (!existsSync(path.join(vitDir, 'onnx', 'vision_model.onnx'))) {
  console.log('generating bench/.data/vit-b32 (once, ~1-2 min) …');
  execFileSync('/usr/bin/python3', [path.join(here, 'make-vit-b32.py')], { stdio: 'inherit' });
}
const photos = await ensurePhotos(
  path.join(here, '.data', 'index-photos'),
  Number(values.images),
  console.log,
);
const files = [
  ...photos,
  path.join(here, '..', 'fixtures', 'images', 'photo-4000.jpg'),
  path.join(here, '..', 'fixtures', 'images', 'landscape.jpg'),
];
const images = files.map((f) => ({ name: path.basename(f), bytes: readFileSync(f) }));

type Variant = {
  readonly name: string;
  readonly margin?: number;
  readonly run: (bytes: Uint8Array, spec: PreprocessSpec) => Promise<Float32Array>;
};

/** The engine's steps with the knobs exposed: shrink margin (undefined = full decode) and resampler. */
function variant(name: string, margin: number | undefined, resampler: 'pillow' | 'cubic'): Variant {
  return {
    name,
    ...(margin === undefined ? {} : { margin }),
    run: async (bytes, spec) => {
      const target = Math.max(spec.width, spec.height, spec.shortestEdge ?? 0);
      const decoded = await decodeImage(
        bytes,
        margin === undefined ? {} : { shrinkKeepingShortSide: margin * target },
      );
      const plan = planResize(decoded.sourceWidth, decoded.sourceHeight, spec);
      const window = {
        left: plan.cropLeft,
        top: plan.cropTop,
        width: plan.cropWidth,
        height: plan.cropHeight,
      };
      const rgb =
        resampler === 'pillow'
          ? pilResizeCrop(decoded, plan.resizeWidth, plan.resizeHeight, spec.interpolation, window)
          : cropRgb(
              await resizeRgbCubic(decoded, plan.resizeWidth, plan.resizeHeight),
              window.left,
              window.top,
              window.width,
              window.height,
            );
      return toChwTensor(rgb, spec);
    },
  };
}

const variants: Variant[] = [
  variant('exact (full decode, Pillow)', undefined, 'pillow'),
  ...[12, 8, 6, 4, 3, 2].map((m) => variant(`shrink ≥${m}× + Pillow`, m, 'pillow')),
  variant('full decode, then vips cubic', undefined, 'cubic'),
  ...[12, 8, 4, 3, 2].map((m) => variant(`shrink ≥${m}× + vips cubic`, m, 'cubic')),
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Cell {
  pixel: number;
  emb: number;
  ms: number;
  factors: Set<number>;
}

async function measureModel(
  dir: string,
  size: number,
): Promise<{ cells: Cell[]; fast: Cell; different: number }> {
  const model = await loadModel(dir, { device: 'cpu', threads: 1 });
  const s = model.preprocessor.spec;
  if (s.width !== size) throw new Error(`${dir}: expected a ${size}-px model, got ${s.width}`);
  const fastPre = new SharpImagePreprocessor(s, { fidelity: 'fast' });
  const all: Variant[] = [
    ...variants,
    { name: 'engine default (fast)', run: async (b) => (await fastPre.preprocess(b)).pixels },
  ];
  try {
    const perVariant: { tensors: Float32Array[]; ms: number[] }[] = [];
    for (const v of all) {
      const tensors: Float32Array[] = [];
      const ms: number[] = [];
      for (const img of images) {
        let best = Infinity;
        let out: Float32Array | undefined;
        for (let r = 0; r < repeats; r += 1) {
          const t = process.cpuUsage();
          out = await v.run(img.bytes, s);
          const used = process.cpuUsage(t);
          best = Math.min(best, (used.user + used.system) / 1000);
        }
        tensors.push(out!);
        ms.push(best);
      }
      perVariant.push({ tensors, ms });
    }
    const embeddings = await Promise.all(perVariant.map(async (p) => model.image.encodeBatch(p.tensors)));
    const ref = perVariant[0]!;
    const refEmb = embeddings[0]!;
    const cells = perVariant.map((p, k) => ({
      pixel: Math.min(...p.tensors.map((t, i) => cosine(t, ref.tensors[i]!))),
      emb: Math.min(...embeddings[k]!.map((e, i) => cosine(e, refEmb[i]!))),
      ms: median(p.ms),
      factors: new Set(images.map((img, i) => factorFor(i, all[k]!.margin, size))),
    }));
    const pairs: number[] = [];
    for (let i = 0; i < refEmb.length; i += 1) {
      for (let j = i + 1; j < refEmb.length; j += 1) pairs.push(cosine(refEmb[i]!, refEmb[j]!));
    }
    return { cells: cells.slice(0, -1), fast: cells.at(-1)!, different: median(pairs) };
  } finally {
    await model.close();
  }
}

const sizes: [number, number][] = [];
function factorFor(i: number, margin: number | undefined, target: number): number {
  return margin === undefined ? 1 : jpegShrinkFactor(sizes[i]![0], sizes[i]![1], margin * target);
}
for (const img of images) {
  const d = await decodeImage(img.bytes);
  sizes.push([d.sourceWidth, d.sourceHeight]);
}
console.log(
  `preprocess fidelity: ${images.length} JPEGs (${[...new Set(sizes.map(([w, h]) => `${w}×${h}`))].join(', ')}), best of ${repeats} timing(s) per image, CPU ms`,
);

const mini = await measureModel(bundledModelDir(), 64);
console.log('  measured clipdex-mini (64 px)');
const vit = await measureModel(vitDir, 224);
console.log('  measured ViT-B/32-shaped (224 px, random weights)\n');

const f = (x: number): string => (x >= 0.999995 ? '1.00000' : x.toFixed(5));
const shrinks = (c: Cell): string => [...c.factors].sort((a, b) => a - b).join('/');
console.log(
  `${''.padEnd(30)}| ${'clipdex-mini, 64 px'.padEnd(38)}| ViT-B/32-shaped, 224 px (random weights)`,
);
console.log(
  `${'variant'.padEnd(30)}| shrink  pixel cos  emb cos   cpu ms  | shrink  pixel cos  emb cos   cpu ms`,
);
const line = (name: string, a: Cell, b: Cell): void =>
  console.log(
    `${name.padEnd(30)}| ${shrinks(a).padEnd(6)} ${f(a.pixel).padStart(9)} ${f(a.emb).padStart(8)} ${a.ms.toFixed(1).padStart(8)}  | ` +
      `${shrinks(b).padEnd(6)} ${f(b.pixel).padStart(9)} ${f(b.emb).padStart(8)} ${b.ms.toFixed(1).padStart(8)}`,
  );
variants.forEach((v, k) => line(v.name, mini.cells[k]!, vit.cells[k]!));
line('engine default (fast)', mini.fast, vit.fast);
console.log(
  `${'different images (median)'.padEnd(30)}|                  ${f(mini.different).padStart(8)}           |                  ${f(vit.different).padStart(8)}`,
);
// The rule the engine's default follows: the smallest margin whose embeddings stay ≥ 0.999 for both models.
const ok = (k: number): boolean => mini.cells[k]!.emb >= 0.999 && vit.cells[k]!.emb >= 0.999;
const passing = variants.flatMap((v, k) => (v.margin !== undefined && ok(k) ? [v] : []));
const best = passing.length ? Math.min(...passing.map((v) => v.margin!)) : undefined;
console.log(`\nsmallest shrink margin with embedding cosine ≥ 0.999 for both models: ${best ?? 'none'}`);
console.log(
  'engine default (fast): no shrink-on-load; sources > 0.5 MP reduced ≥ 2× go through one libvips decode + cubic pipeline, the rest through the Pillow port',
);
console.log(
  'shrink: JPEG shrink-on-load factors used across the images; cos: minimum over images vs the exact row; cpu ms: median CPU time per image.',
);
