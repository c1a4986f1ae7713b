/**
 * Which kind of model package a directory is, and where its files are. The layouts are the
 * ones real CLIP exports use (docs/models.md): Hugging Face / transformers.js split towers,
 * OpenCLIP as exported by immich, and clip-as-service.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelLayout } from '../common/model-fingerprint.ts';
import { EngineError, fromFsError } from '../errors.ts';

export interface LayoutFiles {
  readonly layout: ModelLayout;
  readonly dir: string;
  /** Dtype variant of HF graphs ('fp32' when unsuffixed). */
  readonly variant: string;
  /** Paths relative to dir. */
  readonly textGraph: string;
  readonly visionGraph: string;
  /** Folder holding tokenizer.json and friends: relative to dir, or absolute for the built-in one. */
  readonly tokenizerDir: string;
  /** 'builtin-clip-bpe': the package has no tokenizer; clipdex's OpenAI CLIP BPE is used (clip-as-service). */
  readonly tokenizer: 'package' | 'builtin-clip-bpe';
  readonly config: string | undefined;
  readonly preprocess: { readonly kind: 'huggingface' | 'openclip'; readonly file: string } | undefined;
  /** HF variants present next to the chosen one (for `model info`). */
  readonly variantsAvailable: readonly string[];
  /**
   * External-data weight files the graphs load (large exports keep weights outside the .onnx);
   * relative to dir. They define the embeddings, so the fingerprint hashes them.
   */
  readonly externalData: readonly string[];
}

/** transformers.js file-name suffix per dtype (src/utils/dtypes.js); '' is fp32. */
export const HF_VARIANT_SUFFIXES: Readonly<Record<string, string>> = {
  fp32: '',
  quantized: '_quantized',
  q8: '_quantized',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};
const VARIANT_PREFERENCE = ['fp32', 'quantized', 'fp16', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'];

/**
 * The OpenAI CLIP byte-level BPE tokenizer (49,408 tokens, lower-cased, context 77) that clipdex ships as
 * product data, for packages that ship none: clip-as-service's ONNX folders hold only the two graphs.
 */
export const BUILTIN_CLIP_TOKENIZER_DIR = fileURLToPath(new URL('./assets/clip-bpe/', import.meta.url));
/** clip-as-service's multilingual packages (M-CLIP: XLM-R or LaBSE text towers) use another vocabulary. */
const MULTILINGUAL_NAME = /m-?clip|xlm|roberta|labse|multilingual/i;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function firstExisting(dir: string, candidates: readonly string[]): Promise<string | undefined> {
  for (const rel of candidates) if (await isFile(path.join(dir, rel))) return rel;
  return undefined;
}

async function huggingface(dir: string, variant: string | undefined): Promise<LayoutFiles | undefined> {
  for (const graphDir of ['onnx', '.']) {
    const rel = (name: string) => path.normalize(path.join(graphDir, name));
    const present: string[] = [];
    for (const v of VARIANT_PREFERENCE) {
      const suffix = HF_VARIANT_SUFFIXES[v]!;
      if (
        (await isFile(path.join(dir, rel(`text_model${suffix}.onnx`)))) &&
        (await isFile(path.join(dir, rel(`vision_model${suffix}.onnx`))))
      ) {
        present.push(v);
      }
    }
    if (present.length === 0) continue;
    const wanted = variant === 'q8' ? 'quantized' : variant;
    if (wanted !== undefined && HF_VARIANT_SUFFIXES[wanted] === undefined) {
      throw new EngineError(
        'INVALID_INPUT',
        `unknown model variant '${variant}'; known: ${Object.keys(HF_VARIANT_SUFFIXES).join(', ')}`,
      );
    }
    const chosen = wanted ?? present[0]!;
    if (!present.includes(chosen)) {
      throw new EngineError(
        'MODEL_LOAD_FAILED',
        `${dir}: variant '${chosen}' not present (have: ${present.join(', ')})`,
      );
    }
    const suffix = HF_VARIANT_SUFFIXES[chosen]!;
    const preprocess = (await isFile(path.join(dir, 'preprocessor_config.json')))
      ? { kind: 'huggingface' as const, file: 'preprocessor_config.json' }
      : undefined;
    return {
      layout: 'huggingface',
      dir,
      variant: chosen,
      textGraph: rel(`text_model${suffix}.onnx`),
      visionGraph: rel(`vision_model${suffix}.onnx`),
      tokenizerDir: '.',
      tokenizer: 'package',
      config: (await isFile(path.join(dir, 'config.json'))) ? 'config.json' : undefined,
      preprocess,
      variantsAvailable: present,
      externalData: [],
    };
  }
  return undefined;
}

async function openclip(dir: string): Promise<LayoutFiles | undefined> {
  if (
    !(await isFile(path.join(dir, 'textual', 'model.onnx'))) ||
    !(await isFile(path.join(dir, 'visual', 'model.onnx')))
  ) {
    return undefined;
  }
  const tokenizerDir = (await isFile(path.join(dir, 'textual', 'tokenizer.json'))) ? 'textual' : '.';
  const preprocessFile = await firstExisting(dir, [
    path.join('visual', 'preprocess_cfg.json'),
    'preprocess_cfg.json',
  ]);
  return {
    layout: 'openclip',
    dir,
    variant: 'fp32',
    textGraph: path.join('textual', 'model.onnx'),
    visionGraph: path.join('visual', 'model.onnx'),
    tokenizerDir,
    tokenizer: 'package',
    config: (await isFile(path.join(dir, 'config.json'))) ? 'config.json' : undefined,
    preprocess: preprocessFile ? { kind: 'openclip', file: preprocessFile } : undefined,
    variantsAvailable: ['fp32'],
    externalData: [],
  };
}

async function clipAsService(dir: string): Promise<LayoutFiles | undefined> {
  if (!(await isFile(path.join(dir, 'textual.onnx'))) || !(await isFile(path.join(dir, 'visual.onnx')))) {
    return undefined;
  }
  const preprocess = (await isFile(path.join(dir, 'preprocessor_config.json')))
    ? { kind: 'huggingface' as const, file: 'preprocessor_config.json' }
    : undefined;
  return {
    layout: 'clip-as-service',
    dir,
    variant: 'fp32',
    textGraph: 'textual.onnx',
    visionGraph: 'visual.onnx',
    tokenizerDir: '.',
    tokenizer: 'package',
    config: (await isFile(path.join(dir, 'config.json'))) ? 'config.json' : undefined,
    preprocess,
    variantsAvailable: ['fp32'],
    externalData: [],
  };
}

const LOOKED_FOR =
  'onnx/text_model.onnx + onnx/vision_model.onnx (huggingface), textual/model.onnx + visual/model.onnx (openclip/immich), ' +
  'textual.onnx + visual.onnx (clip-as-service)';

async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * HF/Optimum name external data after the graph (`text_model.onnx_data`, `model.onnx.data`,
 * `…_data_1`); immich's open_clip exports drop arbitrarily named tensor files (`onnx__MatMul_*`,
 * uuids) next to `model.onnx`, so there every non-JSON, non-tokenizer file of the tower's folder
 * counts.
 */
async function externalDataFor(
  dir: string,
  layout: ModelLayout,
  graphs: readonly string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const graph of graphs) {
    const folder = path.dirname(graph);
    const base = path.basename(graph);
    for (const name of await filesIn(path.join(dir, folder))) {
      const rel = path.join(folder, name);
      if (graphs.includes(rel)) continue;
      const named = name.startsWith(`${base}_data`) || name.startsWith(`${base}.data`);
      const loose =
        layout === 'openclip' && !/\.(json|txt|model|md|onnx)$/i.test(name) && !name.startsWith('.');
      if (named || loose) out.push(rel);
    }
  }
  return [...new Set(out)].sort();
}

export async function detectLayout(dir: string, variant?: string): Promise<LayoutFiles> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      throw new EngineError(
        'MODEL_LOAD_FAILED',
        `${dir} is a file; a model is a directory (looked for ${LOOKED_FOR})`,
      );
    }
  } catch (error) {
    throw fromFsError(error, `model directory ${dir}`);
  }
  const detected = (await huggingface(dir, variant)) ?? (await openclip(dir)) ?? (await clipAsService(dir));
  if (!detected) {
    throw new EngineError('MODEL_LOAD_FAILED', `${dir}: no known model layout; looked for ${LOOKED_FOR}`);
  }
  const found: LayoutFiles = {
    ...detected,
    externalData: await externalDataFor(dir, detected.layout, [detected.textGraph, detected.visionGraph]),
  };
  if (variant !== undefined && found.layout !== 'huggingface' && variant !== 'fp32') {
    throw new EngineError(
      'INVALID_INPUT',
      `${dir}: variants are a huggingface-layout feature; this is a ${found.layout} package`,
    );
  }
  if (!(await isFile(path.join(dir, found.tokenizerDir, 'tokenizer.json')))) {
    if (found.layout === 'clip-as-service') return withBuiltinTokenizer(found);
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${dir}: ${found.layout} package without ${path.join(found.tokenizerDir, 'tokenizer.json')}`,
    );
  }
  return found;
}

/**
 * clip-as-service ships textual.onnx + visual.onnx only. Its OpenAI and OpenCLIP models all use the OpenAI
 * CLIP BPE (lower-cased, context 77, zero padding), which clipdex carries; its multilingual ones (M-CLIP)
 * need their own tokenizer, and the CLIP one would silently give wrong ids, so they are refused.
 */
function withBuiltinTokenizer(found: LayoutFiles): LayoutFiles {
  if (MULTILINGUAL_NAME.test(path.basename(found.dir))) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${found.dir}: a multilingual clip-as-service package (M-CLIP: XLM-R or LaBSE text tower) without tokenizer.json; ` +
        "clipdex's built-in OpenAI CLIP tokenizer does not fit it. Add the text tower's own tokenizer.json (e.g. the Hugging Face " +
        `export of xlm-roberta-large for XLM-R models) as ${path.join(found.dir, 'tokenizer.json')}`,
    );
  }
  return { ...found, tokenizerDir: BUILTIN_CLIP_TOKENIZER_DIR, tokenizer: 'builtin-clip-bpe' };
}
