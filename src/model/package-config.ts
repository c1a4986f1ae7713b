/**
 * Reads a package's JSON configs into the two facts the runtime needs from them: the text
 * context length and the image preprocessing. HF (`config.json`, `preprocessor_config.json`)
 * and open_clip (`config.json` text_cfg/vision_cfg, `preprocess_cfg.json`) spellings both work.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelLayout } from '../common/model-fingerprint.ts';
import type { PreprocessSpec } from '../image/preprocess.types.ts';
import { parseTextClean, type TextClean } from '../encoders/text-clean.ts';
import { EngineError, fromFsError } from '../errors.ts';
import type { LayoutFiles } from './detect-layout.ts';

type Json = Record<string, unknown>;

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
export const CLIP_CONTEXT_LENGTH = 77;

export async function readJsonFile(dir: string, rel: string | undefined): Promise<Json> {
  if (rel === undefined) return {};
  const file = path.join(dir, rel);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw fromFsError(error, `model config ${file}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('not a JSON object');
    }
    return value as Json;
  } catch (error) {
    throw new EngineError('MODEL_LOAD_FAILED', `${file} is not a valid JSON object`, { cause: error });
  }
}

const obj = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const posInt = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;

/** Context-length limits stated by config.json (HF text_config or open_clip text_cfg). */
export function configContextLength(config: Json): number | undefined {
  return (
    posInt(obj(config['text_config'])['max_position_embeddings']) ??
    posInt(obj(config['text_cfg'])['context_length'])
  );
}

/**
 * open_clip's `text_cfg.tokenizer_kwargs.clean`; open_clip packages default to whitespace
 * collapsing (HFTokenizer's default), other layouts to none (their tokenizer.json normalises).
 */
export function configTextClean(config: Json, layout: ModelLayout): TextClean {
  const stated = parseTextClean(obj(obj(config['text_cfg'])['tokenizer_kwargs'])['clean']);
  return stated ?? (layout === 'openclip' ? 'whitespace' : 'none');
}

/** The smallest stated limit wins; CLIP's 77 when nothing says. */
export function resolveContextLength(limits: readonly (number | undefined)[]): number {
  const known = limits.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.min(...known) : CLIP_CONTEXT_LENGTH;
}

function triple(
  value: unknown,
  fallback: readonly [number, number, number],
): readonly [number, number, number] {
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number')) {
    return value as unknown as [number, number, number];
  }
  if (typeof value === 'number') return [value, value, value];
  return fallback;
}

function interpolation(value: unknown): PreprocessSpec['interpolation'] {
  // PIL resample codes (HF): 0 nearest, 2 bilinear, 3 bicubic; 1 (lanczos) is closest to bicubic here.
  if (value === 0 || value === 'nearest') return 'nearest';
  if (value === 2 || value === 'bilinear') return 'bilinear';
  return 'bicubic';
}

/** [height, width] from HF `size`/`crop_size` or open_clip `size` spellings. */
function hw(value: unknown): [number, number] | undefined {
  if (posInt(value)) return [value as number, value as number];
  if (Array.isArray(value) && value.length === 2 && posInt(value[0]) && posInt(value[1])) {
    return [value[0] as number, value[1] as number];
  }
  const o = obj(value);
  const h = posInt(o['height']);
  const w = posInt(o['width']);
  return h && w ? [h, w] : undefined;
}

export function fromHuggingFace(cfg: Json): PreprocessSpec {
  const size = obj(cfg['size']);
  const shortest = posInt(size['shortest_edge']) ?? posInt(cfg['size']);
  const crop = hw(cfg['crop_size']);
  const doCrop = cfg['do_center_crop'] !== false && crop !== undefined;
  const normalize = cfg['do_normalize'] !== false;
  const base = {
    mean: normalize ? triple(cfg['image_mean'], CLIP_MEAN) : ([0, 0, 0] as const),
    std: normalize ? triple(cfg['image_std'], CLIP_STD) : ([1, 1, 1] as const),
    interpolation: interpolation(cfg['resample'] ?? 3),
    rescaleFactor:
      cfg['do_rescale'] === false
        ? 1
        : typeof cfg['rescale_factor'] === 'number'
          ? cfg['rescale_factor']
          : 1 / 255,
  };
  if (doCrop) {
    const [height, width] = crop;
    return {
      ...base,
      width,
      height,
      resizeMode: 'shortest',
      shortestEdge: shortest ?? Math.max(height, width),
    };
  }
  const square = hw(cfg['size']) ?? (shortest ? [shortest, shortest] : undefined);
  if (!square) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      'preprocessor_config.json: cannot tell the image size (size / crop_size)',
    );
  }
  // No centre crop: HF resizes straight to size (Chinese-CLIP, SigLIP), i.e. squash.
  return { ...base, width: square[1], height: square[0], resizeMode: 'squash' };
}

export function fromOpenClip(cfg: Json): PreprocessSpec {
  const size = hw(cfg['size']);
  if (!size) throw new EngineError('MODEL_LOAD_FAILED', 'preprocess_cfg.json: missing size');
  return {
    width: size[1],
    height: size[0],
    resizeMode: cfg['resize_mode'] === 'squash' ? 'squash' : 'shortest',
    mean: triple(cfg['mean'], CLIP_MEAN),
    std: triple(cfg['std'], CLIP_STD),
    interpolation: interpolation(cfg['interpolation']),
    rescaleFactor: 1 / 255,
  };
}

/**
 * The package's preprocessing; without a preprocessing file, CLIP's defaults at the size the
 * config or the graph states (open_clip vision_cfg.image_size, HF vision_config.image_size).
 */
export async function readPreprocessSpec(
  files: LayoutFiles,
  config: Json,
  graphSize: readonly [number, number] | undefined,
): Promise<PreprocessSpec> {
  let spec: PreprocessSpec;
  if (files.preprocess) {
    const cfg = await readJsonFile(files.dir, files.preprocess.file);
    spec = files.preprocess.kind === 'huggingface' ? fromHuggingFace(cfg) : fromOpenClip(cfg);
  } else {
    const stated =
      hw(obj(config['vision_cfg'])['image_size']) ?? hw(obj(config['vision_config'])['image_size']);
    const embedded = obj(config['preprocess_cfg']);
    if (hw(embedded['size'])) {
      spec = fromOpenClip(embedded);
    } else {
      const [height, width] = stated ?? graphSize ?? [224, 224];
      spec = {
        width,
        height,
        resizeMode: 'shortest',
        mean: CLIP_MEAN,
        std: CLIP_STD,
        interpolation: 'bicubic',
        rescaleFactor: 1 / 255,
      };
    }
  }
  if (graphSize && (graphSize[0] !== spec.height || graphSize[1] !== spec.width)) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${files.dir}: preprocessing makes ${spec.height}×${spec.width} images but ${files.visionGraph} takes ${graphSize[0]}×${graphSize[1]}`,
    );
  }
  return spec;
}
