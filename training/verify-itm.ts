/**
 * Checks an exported ITM package against the torch reference written by `clipitm.export
 * --reference`: runs both graphs in onnxruntime-node and prints the max |ORT − torch|.
 *
 *   cd training && npx tsx verify-itm.ts ../fixtures/models/clipdex-mini-itm .out/itm/reference.json
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

interface Reference {
  pixels: number[];
  image_tokens: number[];
  image_grid: number[];
  ids: number[][];
  tokens_in: number[];
  grid_in: number[];
  logits: number[];
}

const maxDiff = (a: ArrayLike<number>, b: readonly number[]): number => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

async function main(): Promise<void> {
  const [dir, refFile, suffix = ''] = process.argv.slice(2);
  if (!dir || !refFile)
    throw new Error('usage: verify-itm.ts <package dir> <reference.json> [graph suffix, e.g. _quantized]');
  const ref = JSON.parse(await readFile(refFile, 'utf8')) as Reference;
  const opts = { intraOpNumThreads: 1 };
  const vision = await ort.InferenceSession.create(
    path.join(dir, `onnx/itm_vision_model${suffix}.onnx`),
    opts,
  );
  const fusion = await ort.InferenceSession.create(path.join(dir, `onnx/itm_model${suffix}.onnx`), opts);
  console.log(
    'vision io',
    vision.inputNames,
    vision.outputNames,
    'fusion io',
    fusion.inputNames,
    fusion.outputNames,
  );
  const n = ref.pixels.length / (3 * 64 * 64);
  const v = await vision.run({
    pixel_values: new ort.Tensor('float32', Float32Array.from(ref.pixels), [n, 3, 64, 64]),
  });
  console.log(
    `image_tokens ${v.image_tokens!.dims.join('x')} max|ort-torch| ${maxDiff(v.image_tokens!.data as Float32Array, ref.image_tokens).toExponential(2)}`,
  );
  console.log(
    `image_grid   ${v.image_grid!.dims.join('x')} max|ort-torch| ${maxDiff(v.image_grid!.data as Float32Array, ref.image_grid).toExponential(2)}`,
  );
  const b = ref.ids.length;
  const ids = new ort.Tensor('int64', BigInt64Array.from(ref.ids.flat().map(BigInt)), [
    b,
    ref.ids[0]!.length,
  ]);
  const out = await fusion.run({
    input_ids: ids,
    image_tokens: new ort.Tensor('float32', Float32Array.from(ref.tokens_in), [b, 5, 256]),
    image_grid: new ort.Tensor('float32', Float32Array.from(ref.grid_in), [b, 16, 128]),
  });
  const logits = out.itm_logits!;
  console.log(
    `itm_logits ${logits.dims.join('x')} ort ${Array.from(logits.data as Float32Array, (x) => x.toFixed(4)).join(' ')} torch ${ref.logits.map((x) => x.toFixed(4)).join(' ')}`,
  );
  console.log(
    `itm_logits max|ort-torch| ${maxDiff(logits.data as Float32Array, ref.logits).toExponential(2)}`,
  );
  // Padding after EOS must not change a logit (the engine trims runs to their longest text).
  const padded = new ort.Tensor(
    'int64',
    BigInt64Array.from(ref.ids.flatMap((r) => [...r, 0, 0, 0]).map(BigInt)),
    [b, ref.ids[0]!.length + 3],
  );
  const out2 = await fusion.run({
    input_ids: padded,
    image_tokens:
      out === undefined ? ids : new ort.Tensor('float32', Float32Array.from(ref.tokens_in), [b, 5, 256]),
    image_grid: new ort.Tensor('float32', Float32Array.from(ref.grid_in), [b, 16, 128]),
  });
  console.log(
    `padding inert: max|Δ| ${maxDiff(out2.itm_logits!.data as Float32Array, Array.from(logits.data as Float32Array)).toExponential(2)}`,
  );
}

await main();
