/**
 * The transformers.js side of bench/index: the same files and model directory through
 * `@huggingface/transformers` in Node, the way its docs embed images. Returns images/s, or
 * undefined when the package is not installed in bench/node_modules.
 */
import path from 'node:path';

interface TransformersModule {
  env: { allowRemoteModels: boolean; localModelPath: string; backends: { onnx: { numThreads?: number } } };
  AutoProcessor: {
    from_pretrained(id: string): Promise<(images: unknown[]) => Promise<Record<string, unknown>>>;
  };
  CLIPVisionModelWithProjection: {
    from_pretrained(
      id: string,
      options: Record<string, unknown>,
    ): Promise<
      ((inputs: Record<string, unknown>) => Promise<{ image_embeds: { dims: number[] } }>) & {
        dispose(): Promise<void>;
      }
    >;
  };
  RawImage: { read(file: string): Promise<unknown> };
}

async function importTransformers(modelDir: string): Promise<TransformersModule | undefined> {
  let tf: TransformersModule;
  try {
    tf = (await import(
      path.join(
        import.meta.dirname,
        'node_modules',
        '@huggingface',
        'transformers',
        'dist',
        'transformers.node.mjs',
      )
    )) as TransformersModule;
  } catch {
    return undefined;
  }
  tf.env.allowRemoteModels = false;
  tf.env.localModelPath = path.dirname(modelDir) + path.sep;
  return tf;
}

/**
 * transformers.js's own decode + preprocess alone (RawImage.read → AutoProcessor, batches as in
 * the end-to-end run, no model): its D, for the ratio's ceiling in bench/index. Images/s.
 */
export async function runTransformersJsDecode(
  modelDir: string,
  files: readonly string[],
  batchSize: number,
): Promise<number | undefined> {
  const tf = await importTransformers(modelDir);
  if (!tf) return undefined;
  const processor = await tf.AutoProcessor.from_pretrained(path.basename(modelDir));
  const started = performance.now();
  for (let i = 0; i < files.length; i += batchSize) {
    const images = await Promise.all(files.slice(i, i + batchSize).map((f) => tf.RawImage.read(f)));
    await processor(images);
  }
  return files.length / ((performance.now() - started) / 1000);
}

export async function runTransformersJs(
  modelDir: string,
  files: readonly string[],
  batchSize: number,
  threads: number,
): Promise<number | undefined> {
  const tf = await importTransformers(modelDir);
  if (!tf) return undefined;
  const id = path.basename(modelDir);
  const processor = await tf.AutoProcessor.from_pretrained(id);
  const model = await tf.CLIPVisionModelWithProjection.from_pretrained(id, {
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  try {
    const started = performance.now();
    for (let i = 0; i < files.length; i += batchSize) {
      const images = await Promise.all(files.slice(i, i + batchSize).map((f) => tf.RawImage.read(f)));
      const out = await model(await processor(images));
      if (out.image_embeds.dims[0] !== images.length) {
        throw new Error('transformers.js returned the wrong batch size');
      }
    }
    return files.length / ((performance.now() - started) / 1000);
  } finally {
    await model.dispose();
  }
}
