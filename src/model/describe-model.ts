/** What `clipdex model info` shows about a loaded model, as data and as text lines. */
import type { GraphValue } from '../encoders/onnx-session.ts';
import type { ThreadChoice } from '../encoders/thread-calibration.ts';
import type { ItmInfo } from '../rerank/itm.types.ts';
import type { GraphDetails, LoadedClipModel } from './clip-model.ts';

function itmScore(info: ItmInfo): string {
  return info.dualWeight === 0 ? 'itm' : `itm + ${info.dualWeight} × ${info.dualLogitScale} × cosine`;
}

export interface ModelDescription {
  readonly name: string;
  readonly dir: string;
  readonly id: string;
  readonly layout: string;
  readonly variant: string;
  readonly variantsAvailable: readonly string[];
  readonly dim: number;
  readonly contextLength: number;
  /** Where the tokenizer comes from: 'package', or 'builtin-clip-bpe' for packages that ship none. */
  readonly tokenizer: 'package' | 'builtin-clip-bpe';
  readonly paddedLength: number;
  readonly trimPadding: boolean;
  readonly padId: number;
  readonly textClean: string;
  readonly preprocess: LoadedClipModel['preprocessor']['spec'];
  readonly executionProvider: string;
  readonly providerNote: string | null;
  /** Intra-op threads per tower with how they were chosen: `{threads, source, reason, trials}`. */
  readonly threads: { readonly text: ThreadChoice; readonly vision: ThreadChoice };
  readonly text: GraphDetails;
  readonly vision: GraphDetails;
  readonly files: Readonly<Record<string, string>>;
  /** The second search stage (image–text matching re-ranker), or null when the package has none. */
  readonly itm: {
    readonly name: string;
    readonly dir: string;
    readonly id: string;
    readonly imageFeatures: ItmInfo['imageFeatures'];
    readonly featureBytes: number;
    readonly defaultK: number;
    readonly score: string;
    readonly files: Readonly<Record<string, string>>;
  } | null;
}

export function describeModel(model: LoadedClipModel): ModelDescription {
  const d = model.details;
  return {
    name: model.fingerprint.name,
    dir: d.dir,
    id: model.fingerprint.id,
    layout: d.layout,
    variant: d.variant,
    variantsAvailable: d.variantsAvailable,
    dim: model.fingerprint.dim,
    contextLength: d.contextLength,
    tokenizer: d.tokenizer,
    paddedLength: d.paddedLength,
    trimPadding: d.trimPadding,
    padId: d.padId,
    textClean: d.textClean,
    preprocess: model.preprocessor.spec,
    executionProvider: model.executionProvider,
    providerNote: d.providerNote ?? null,
    threads: d.threads,
    text: d.text,
    vision: d.vision,
    files: model.fingerprint.files,
    itm: model.itm
      ? {
          name: model.itm.info.name,
          dir: model.itm.info.dir,
          id: model.itm.info.id,
          imageFeatures: model.itm.info.imageFeatures,
          featureBytes: model.itm.info.featureBytes,
          defaultK: model.itm.info.defaultK,
          score: itmScore(model.itm.info),
          files: model.itm.info.files,
        }
      : null,
  };
}

const value = (v: GraphValue): string => `${v.name}  ${v.type}[${v.shape.join(', ')}]`;

function graphLines(title: string, g: GraphDetails): string[] {
  return [
    `${title}: ${g.file}  (batch: ${g.fixedBatch === null ? 'dynamic' : `fixed ${g.fixedBatch}, run item by item`})`,
    ...g.inputs.map((v) => `  in   ${value(v)}${g.uses.inputs.includes(v.name) ? '' : '  (unused)'}`),
    ...g.outputs.map((v) => `  out  ${value(v)}${v.name === g.uses.output ? '  ← embedding' : ''}`),
  ];
}

/** "2 (measured: 2 threads 41.3/s (1: 22.0/s))". */
export function threadLine(c: ThreadChoice): string {
  return `${c.threads} (${c.source}: ${c.reason})`;
}

export function formatModelDescription(m: ModelDescription): string[] {
  const p = m.preprocess;
  const resize =
    p.resizeMode === 'squash'
      ? `squash to ${p.width}×${p.height}`
      : `shortest side → ${p.shortestEdge ?? Math.max(p.width, p.height)}, centre crop ${p.width}×${p.height}`;
  const fmt = (xs: readonly number[]) => xs.map((x) => x.toFixed(4)).join(', ');
  return [
    `model       ${m.name}  (${m.dir})`,
    `id          ${m.id}`,
    `layout      ${m.layout}  variant ${m.variant}${m.variantsAvailable.length > 1 ? ` (available: ${m.variantsAvailable.join(', ')})` : ''}`,
    `dimension   ${m.dim}`,
    `tokenizer   ${m.tokenizer === 'package' ? "the package's tokenizer.json" : "built-in OpenAI CLIP BPE (lower-cased, context 77): the package ships no tokenizer, as clip-as-service's don't"}`,
    `context     ${m.contextLength} tokens (padded ${m.trimPadding ? `to the longest text in a run, up to ${m.paddedLength} (padding is inert)` : `to ${m.paddedLength}`} with id ${m.padId})${m.textClean === 'none' ? '' : `, text cleaning: ${m.textClean}`}`,
    `preprocess  ${resize}, ${p.interpolation}, ×${p.rescaleFactor.toPrecision(4)}, mean [${fmt(p.mean)}], std [${fmt(p.std)}]`,
    `provider    ${m.executionProvider}${m.providerNote ? `  (${m.providerNote})` : ''}`,
    `threads     text ${threadLine(m.threads.text)}`,
    `            vision ${threadLine(m.threads.vision)}`,
    ...graphLines('text graph ', m.text),
    ...graphLines('vision graph', m.vision),
    m.itm
      ? `re-rank     ${m.itm.name}  (${m.itm.dir}): image–text matching over the top ${m.itm.defaultK} by default; score = ${m.itm.score}; ` +
        `stores ${m.itm.featureBytes} B of image states per image (${m.itm.imageFeatures.map((f) => `${f.name} [${f.shape.join('×')}]`).join(', ')})`
      : 're-rank     none (this model has no image–text matching stage; --rerank is refused)',
  ];
}
