/**
 * Picks the files one variant of a model package needs from a hub repo listing, so pulling
 * `quantized` does not download 600 MB of fp32 graphs. Layouts follow model-formats.md:
 * Hugging Face/transformers.js (`onnx/{text,vision}_model{suffix}.onnx` + JSON configs at the
 * root), immich/OpenCLIP (`textual/`, `visual/`, `config.json`), clip-as-service
 * (`textual.onnx`, `visual.onnx`).
 */
import { EngineError } from '../../errors.ts';
import type { HubFile } from './hub-client.ts';

export const VARIANTS = ['fp32', 'fp16', 'quantized'] as const;
export type ModelVariant = (typeof VARIANTS)[number];
export type HubLayout = 'huggingface' | 'openclip' | 'clip-as-service';

/** transformers.js file-name suffixes (`DEFAULT_DTYPE_SUFFIX_MAPPING`). */
const HF_SUFFIX: Record<ModelVariant, string> = { fp32: '', fp16: '_fp16', quantized: '_quantized' };

export function isVariant(value: string): value is ModelVariant {
  return (VARIANTS as readonly string[]).includes(value);
}

/** Small root files a package may read: configs, tokenizer files, model card, licence. */
function isSupportFile(filePath: string): boolean {
  if (filePath.includes('/')) return false;
  return /\.(json|txt|model|md)$/i.test(filePath) || /^(LICEN[CS]E|NOTICE)/i.test(filePath);
}

/** The graph plus its external-data files (`x.onnx_data`, `x.onnx.data`, `x.onnx_data_1`, …). */
function graphFiles(files: readonly HubFile[], graph: string): HubFile[] {
  return files.filter(
    (f) => f.path === graph || f.path.startsWith(`${graph}_data`) || f.path.startsWith(`${graph}.data`),
  );
}

export function detectHubLayout(files: readonly HubFile[]): HubLayout | undefined {
  const paths = new Set(files.map((f) => f.path));
  if ([...paths].some((p) => /^onnx\/(text|vision)_model[^/]*\.onnx$/.test(p))) return 'huggingface';
  if (paths.has('textual/model.onnx') && paths.has('visual/model.onnx')) return 'openclip';
  if (paths.has('textual.onnx') && paths.has('visual.onnx')) return 'clip-as-service';
  return undefined;
}

/** Variants a repo publishes, for error messages and `model list`. */
export function availableVariants(files: readonly HubFile[]): ModelVariant[] {
  const layout = detectHubLayout(files);
  if (layout !== 'huggingface') return layout ? ['fp32'] : [];
  const paths = new Set(files.map((f) => f.path));
  return VARIANTS.filter(
    (v) =>
      paths.has(`onnx/text_model${HF_SUFFIX[v]}.onnx`) && paths.has(`onnx/vision_model${HF_SUFFIX[v]}.onnx`),
  );
}

export interface VariantSelection {
  readonly layout: HubLayout;
  readonly files: HubFile[];
}

export function selectVariantFiles(
  repo: string,
  files: readonly HubFile[],
  variant: ModelVariant,
): VariantSelection {
  const layout = detectHubLayout(files);
  if (!layout) {
    const sample = files
      .slice(0, 12)
      .map((f) => f.path)
      .join(', ');
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${repo} has no CLIP text and vision ONNX graphs clipdex can load (looked for onnx/text_model.onnx, textual/model.onnx, textual.onnx); files: ${sample}`,
    );
  }
  const available = availableVariants(files);
  if (!available.includes(variant)) {
    throw new EngineError(
      'NOT_FOUND',
      `${repo} does not publish the ${variant} variant; available: ${available.join(', ') || 'none'}`,
      {
        details: { available },
      },
    );
  }
  const support = files.filter((f) => isSupportFile(f.path));
  let graphs: HubFile[];
  switch (layout) {
    case 'huggingface': {
      const suffix = HF_SUFFIX[variant];
      graphs = [
        ...graphFiles(files, `onnx/text_model${suffix}.onnx`),
        ...graphFiles(files, `onnx/vision_model${suffix}.onnx`),
      ];
      break;
    }
    case 'openclip':
      // Direct children only: immich keeps RKNN/ArmNN builds in subfolders and `.armnn` files beside the graph.
      graphs = files.filter(
        (f) => /^(textual|visual)\/[^/]+$/.test(f.path) && !/\.(armnn|rknn)$/i.test(f.path),
      );
      break;
    case 'clip-as-service':
      graphs = [...graphFiles(files, 'textual.onnx'), ...graphFiles(files, 'visual.onnx')];
      break;
  }
  const chosen = new Map<string, HubFile>();
  for (const f of [...support, ...graphs]) chosen.set(f.path, f);
  return {
    layout,
    files: [...chosen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}
