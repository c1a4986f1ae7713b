/**
 * loadModel(dir): the one code path every model package goes through — detect the layout,
 * open both towers on the requested execution provider, read tokenizer/config/preprocessing,
 * check the towers agree on the embedding size, and fingerprint the package.
 *
 * @example
 *   const model = await loadModel(bundledModelDir(), { device: 'auto', threads: 1 });
 *   const [v] = await model.text.encodeBatch(['a photo of a cat']);
 *   await model.close();
 */
import path from 'node:path';
import { ClipImageEncoder, planImageGraph } from '../encoders/clip-image.encoder.ts';
import { ClipTextEncoder, planTextGraph } from '../encoders/clip-text.encoder.ts';
import type { DeviceRequest } from '../encoders/encoder.ts';
import { staticDim } from '../encoders/graph-io.ts';
import { OnnxSession } from '../encoders/onnx-session.ts';
import {
  ClipTokenizer,
  readTokenizerFiles,
  tokenizerMaxLength,
  type TokenizerFiles,
} from '../encoders/tokenizer.ts';
import { EngineError } from '../errors.ts';
import { SharpImagePreprocessor, type PreprocessFidelity } from '../image/image-preprocessor.ts';
import { findItmPackage } from '../rerank/itm-package.ts';
import { loadItmStage } from '../rerank/onnx-itm.stage.ts';
import type { ItmStage } from '../rerank/itm.types.ts';
import { LoadedClipModel } from './clip-model.ts';
import { detectLayout } from './detect-layout.ts';
import { computeFingerprint, sha256File } from './fingerprint.ts';
import { calibrateTower, planTowerThreads, type ThreadSettings } from './tower-threads.ts';
import {
  configContextLength,
  configTextClean,
  readJsonFile,
  readPreprocessSpec,
  resolveContextLength,
} from './package-config.ts';

export interface LoadModelOptions extends ThreadSettings {
  /** Execution provider: 'auto' (default) = CUDA when installed, else CPU. */
  readonly device?: DeviceRequest;
  /** Image decoding: 'fast' (default; libvips resamples big photos) or 'exact' (Pillow-exact always). */
  readonly decode?: PreprocessFidelity;
  /** Let idle ONNX threads spin (default true; the indexer turns it off so decoders get the CPU). */
  readonly spinning?: boolean;
  /** HF dtype variant: 'fp32' (default when present), 'quantized', 'fp16', 'int8', 'uint8', 'q4', … */
  readonly variant?: string;
  /** Load the ITM (re-ranking) package found beside the model, if any (default true). */
  readonly itm?: boolean;
  /**
   * Text padding: 'auto' (default) pads each run only to its longest text when a load-time probe
   * shows padding is inert (CLIP: causal attention, end-token pooling); 'full' always pads to the
   * graph's sequence length, as clipdex did before (benches and equality tests compare the two).
   */
  readonly textPadding?: 'auto' | 'full';
}

/** Where a fingerprint records the built-in tokenizer's files (a name, not a path in the package). */
const BUILTIN_TOKENIZER_KEY = 'clipdex-builtin/clip-bpe';

/** clip-as-service's own CLIP tokenizer pads with 0 (openai/CLIP `tokenize`), not with the HF export's pad token. */
function zeroPadded(files: TokenizerFiles): TokenizerFiles {
  const { pad_token: _config, ...config } = files.config;
  const { pad_token: _special, ...specialTokens } = files.specialTokens;
  return { tokenizer: files.tokenizer, config, specialTokens };
}

export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedClipModel> {
  const root = path.resolve(dir);
  const files = await detectLayout(root, options.variant);
  const config = await readJsonFile(root, files.config);
  const builtinTokenizer = files.tokenizer === 'builtin-clip-bpe';
  const tokenizerDir = path.resolve(root, files.tokenizerDir);
  const tokenizerFiles = builtinTokenizer
    ? zeroPadded(await readTokenizerFiles(tokenizerDir))
    : await readTokenizerFiles(tokenizerDir);
  const openAt = (file: string) => (threads: number) =>
    OnnxSession.open(file, {
      ...(options.device ? { device: options.device } : {}),
      ...(options.spinning === false ? { spinning: false } : {}),
      threads,
    });
  const textFile = path.join(root, files.textGraph);
  const visionFile = path.join(root, files.visionGraph);
  const hashes = new Map<string, string>();
  const textThreads = await planTowerThreads(textFile, options, hashes);
  const visionThreads = await planTowerThreads(visionFile, options, hashes);
  const sessions: OnnxSession[] = [];
  try {
    let textSession = await openAt(textFile)(textThreads.initial);
    sessions.push(textSession);
    let visionSession = await openAt(visionFile)(visionThreads.initial);
    sessions.push(visionSession);
    const textPlan = planTextGraph(textSession);
    const imagePlan = planImageGraph(visionSession);

    const contextLength = resolveContextLength([
      tokenizerMaxLength(tokenizerFiles),
      configContextLength(config),
      textPlan.fixedSequence,
    ]);
    const tokenizer = new ClipTokenizer(tokenizerFiles, {
      contextLength,
      padLength: textPlan.fixedSequence ?? contextLength,
      defaultPadId: 0,
      clean: configTextClean(config, files.layout),
    });
    const preprocess = await readPreprocessSpec(files, config, imagePlan.fixedSize);
    const size = [preprocess.height, preprocess.width] as const;

    const textDim =
      staticDim(textPlan.output, 1) ??
      (await new ClipTextEncoder(textSession, textPlan, tokenizer, 0, '').probeDim());
    const imageDim =
      staticDim(imagePlan.output, 1) ??
      (await new ClipImageEncoder(visionSession, imagePlan, size, 0, '').probeDim());
    if (textDim !== imageDim) {
      throw new EngineError(
        'DIMENSION_MISMATCH',
        `${root}: text tower ${files.textGraph} makes ${textDim}-d vectors but vision tower ${files.visionGraph} makes ${imageDim}-d; they are not one model`,
        { details: { textDim, imageDim } },
      );
    }

    // The built-in tokenizer is recorded under a name of its own (not a path in the package) with its hash.
    const tokenizerRel = (name: string) =>
      builtinTokenizer ? `${BUILTIN_TOKENIZER_KEY}/${name}` : path.join(files.tokenizerDir, name);
    if (builtinTokenizer) {
      for (const name of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
        hashes.set(path.join(root, tokenizerRel(name)), await sha256File(path.join(tokenizerDir, name)));
      }
    }
    const hashed = [files.textGraph, files.visionGraph, tokenizerRel('tokenizer.json')];
    if (Object.keys(tokenizerFiles.config).length > 0) hashed.push(tokenizerRel('tokenizer_config.json'));
    if (Object.keys(tokenizerFiles.specialTokens).length > 0) {
      hashed.push(tokenizerRel('special_tokens_map.json'));
    }
    if (files.config) hashed.push(files.config);
    if (files.preprocess) hashed.push(files.preprocess.file);
    hashed.push(...files.externalData);
    const fingerprint = await computeFingerprint({
      dir: root,
      name: path.basename(root),
      layout: files.layout,
      dim: textDim,
      contextLength,
      files: hashed.map((f) => path.normalize(f)),
      preprocess,
      known: new Map([...hashes].map(([file, hash]) => [path.relative(root, file), hash])),
    });

    // Short queries cost far less when not padded to 77; only where padding provably changes nothing.
    // A fixed sequence dim in the graph's input metadata rules it out before any probe runs.
    const trimPadding =
      options.textPadding !== 'full' &&
      (await new ClipTextEncoder(textSession, textPlan, tokenizer, textDim, fingerprint.id).paddingIsInert());
    const textEncoder = (s: OnnxSession) =>
      new ClipTextEncoder(s, textPlan, tokenizer, textDim, fingerprint.id, trimPadding);
    const imageEncoder = (s: OnnxSession) =>
      new ClipImageEncoder(s, imagePlan, size, imageDim, fingerprint.id);

    // Threads: the text tower is timed on one query (the latency that matters) of 10 tokens, run at
    // that length when padding is trimmed (demo captions: 3–12 tokens), the vision tower
    // on a small batch (the indexer's throughput). Sessions opened to compare are closed here.
    const QUERY = ['a photo of a dog playing on the beach'];
    const textCal = await calibrateTower(
      textSession,
      textThreads,
      options,
      openAt(textFile),
      (s) => textEncoder(s).encodeBatch(QUERY),
      1,
    );
    sessions[0] = textSession = textCal.session;
    const probeImages = Array.from(
      {
        length: visionThreads.pending
          ? await probeBatch(imageEncoder(visionSession), imagePlan.fixedBatch, size)
          : 0,
      },
      () => blankImage(size),
    );
    const visionCal = await calibrateTower(
      visionSession,
      visionThreads,
      options,
      openAt(visionFile),
      (s) => imageEncoder(s).encodeBatch(probeImages),
      probeImages.length,
    );
    sessions[1] = visionSession = visionCal.session;

    const text = textEncoder(textSession);
    const image = imageEncoder(visionSession);
    const graph = (
      session: OnnxSession,
      inputs: readonly string[],
      output: string,
      fixedBatch: number | undefined,
    ) => ({
      file: path.relative(root, session.file),
      inputs: session.inputs,
      outputs: session.outputs,
      uses: { inputs, output },
      fixedBatch: fixedBatch ?? null,
    });
    const textInputs = [textPlan.ids, textPlan.mask, textPlan.tokenTypes].flatMap((v) => (v ? [v.name] : []));
    const itmDir = options.itm === false ? undefined : findItmPackage(root);
    // Reads configs and hashes files only; its sessions open on first use.
    const itm: ItmStage | undefined = itmDir
      ? await loadItmStage(itmDir, {
          basePreprocess: preprocess,
          ...(options.device ? { device: options.device } : {}),
          threads: options.threads ?? textThreads.initial,
          ...(options.variant ? { variant: options.variant } : {}),
        })
      : undefined;
    return new LoadedClipModel(
      fingerprint,
      text,
      image,
      new SharpImagePreprocessor(preprocess, options.decode ? { fidelity: options.decode } : {}),
      textSession.provider,
      {
        dir: root,
        layout: files.layout,
        variant: files.variant,
        variantsAvailable: files.variantsAvailable,
        contextLength,
        tokenizer: builtinTokenizer ? 'builtin-clip-bpe' : 'package',
        paddedLength: tokenizer.padLength,
        trimPadding,
        padId: tokenizer.padId,
        textClean: tokenizer.clean,
        text: graph(textSession, textInputs, textPlan.output.name, textPlan.fixedBatch),
        vision: graph(visionSession, [imagePlan.input.name], imagePlan.output.name, imagePlan.fixedBatch),
        providerNote: textSession.providerNote,
        threads: { text: textCal.choice, vision: visionCal.choice },
      },
      sessions,
      itm,
    );
  } catch (error) {
    await Promise.all(sessions.map((s) => s.close()));
    throw error;
  }
}

const blankImage = (size: readonly [number, number]): Float32Array =>
  new Float32Array(3 * size[0] * size[1]).fill(0.5);

/**
 * Images per vision probe: about 20 ms of work at the opening thread count, 1–16, so a 64-px
 * tower is timed on a batch (as the indexer runs it) and a ViT-B/32 stays within the time budget.
 */
async function probeBatch(
  encoder: ClipImageEncoder,
  fixedBatch: number | undefined,
  size: readonly [number, number],
): Promise<number> {
  if (fixedBatch !== undefined) return fixedBatch;
  const t = performance.now();
  await encoder.encodeBatch([blankImage(size)]);
  const ms = performance.now() - t;
  return Math.max(1, Math.min(16, Math.round(20 / Math.max(ms, 0.5))));
}
