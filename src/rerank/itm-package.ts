/**
 * Finding and reading an ITM package. It sits beside its dual encoder — `<model>-itm/` next to
 * the model directory, or `itm/` inside it — and describes itself in `config.json`:
 *
 *   { "model_type": "clipdex_itm", "base_model": "clipdex-mini",
 *     "itm": { "vision_graph": "onnx/itm_vision_model.onnx", "fusion_graph": "onnx/itm_model.onnx",
 *              "text_input": "input_ids", "text_broadcast": true, "output": "itm_logits",
 *              "image_features": [{ "name": "image_tokens", "shape": [5, 256] }, …],
 *              "default_k": 32, "score": { "dual_weight": 1, "dual_logit_scale": 26.5 } } }
 *
 * plus `tokenizer.json` (+ `tokenizer_config.json`) and `preprocessor_config.json`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import { readJsonFile } from '../model/package-config.ts';

export interface ItmPackageConfig {
  readonly dir: string;
  readonly name: string;
  readonly baseModel: string | undefined;
  readonly visionGraph: string;
  readonly fusionGraph: string;
  readonly textInput: string;
  /** The fusion graph takes one text row for a whole batch of images (its text work then runs once). */
  readonly textBroadcast: boolean;
  readonly output: string;
  readonly imageFeatures: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly defaultK: number;
  readonly dualWeight: number;
  readonly dualLogitScale: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** The ITM package that belongs to a model directory, or undefined when it has none. */
export function findItmPackage(modelDir: string): string | undefined {
  const root = path.resolve(modelDir);
  for (const dir of [path.join(root, 'itm'), `${root}-itm`]) {
    if (existsSync(path.join(dir, 'config.json'))) return dir;
  }
  return undefined;
}

function str(value: unknown, what: string, file: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new EngineError('MODEL_LOAD_FAILED', `${file}: ${what} must be a non-empty string`);
  }
  return value;
}

function num(value: unknown, fallback: number, what: string, file: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new EngineError('MODEL_LOAD_FAILED', `${file}: ${what} must be a number`);
  }
  return value;
}

export async function readItmConfig(dir: string): Promise<ItmPackageConfig> {
  const config = await readJsonFile(dir, 'config.json');
  const file = path.join(dir, 'config.json');
  if (config['model_type'] !== 'clipdex_itm') {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${file}: model_type is not "clipdex_itm"; not an ITM package`,
    );
  }
  const itm = obj(config['itm']);
  const features = itm['image_features'];
  if (!Array.isArray(features) || features.length === 0) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${file}: itm.image_features must list the image-state tensors`,
    );
  }
  const imageFeatures = features.map((f: unknown, i) => {
    const o = obj(f);
    const shape = o['shape'];
    if (
      !Array.isArray(shape) ||
      shape.length === 0 ||
      !shape.every((d) => Number.isInteger(d) && (d as number) > 0)
    ) {
      throw new EngineError(
        'MODEL_LOAD_FAILED',
        `${file}: itm.image_features[${i}].shape must be positive integers`,
      );
    }
    return { name: str(o['name'], `itm.image_features[${i}].name`, file), shape: shape as number[] };
  });
  const score = obj(itm['score']);
  const defaultK = num(itm['default_k'], 32, 'itm.default_k', file);
  return {
    dir,
    name: path.basename(dir),
    baseModel: typeof config['base_model'] === 'string' ? config['base_model'] : undefined,
    visionGraph: str(itm['vision_graph'], 'itm.vision_graph', file),
    fusionGraph: str(itm['fusion_graph'], 'itm.fusion_graph', file),
    textInput: str(itm['text_input'] ?? 'input_ids', 'itm.text_input', file),
    textBroadcast: itm['text_broadcast'] === true,
    output: str(itm['output'] ?? 'itm_logits', 'itm.output', file),
    imageFeatures,
    defaultK: Number.isInteger(defaultK) && defaultK > 0 ? defaultK : 32,
    dualWeight: num(score['dual_weight'], 0, 'itm.score.dual_weight', file),
    dualLogitScale: num(score['dual_logit_scale'], 1, 'itm.score.dual_logit_scale', file),
  };
}
