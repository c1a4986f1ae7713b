/**
 * Turns `clipdex index` arguments into an IndexRequest: sorts the positional paths into folders,
 * single images and text corpora, and checks every number, so a typo fails before any model or
 * library is opened.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { availableCpus } from '../../src/encoders/cpu-topology.ts';
import { EngineError, fromFsError } from '../../src/errors.ts';
import type { PreprocessFidelity } from '../../src/image/image-preprocessor.ts';
import { isMediaName, isTextCorpusName } from '../../indexer/discovery/media-types.ts';
import { checkCaptionManifest } from '../../indexer/sources/caption-manifest.reader.ts';
import { INDEX_DEFAULTS, type IndexRequest } from '../../indexer/pipeline/index-request.ts';
import { VIDEO_DEFAULTS, type VideoSettings } from '../../indexer/pipeline/plan-video.ts';
import { positiveInt, type ModelArgs } from './open-model.ts';

export interface IndexArgs extends ModelArgs {
  /** commander passes a variadic argument as one array. */
  readonly _: ReadonlyArray<string | readonly string[]>;
  readonly library?: string;
  readonly captions?: readonly string[];
  readonly texts?: readonly string[];
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly hidden?: boolean;
  readonly batchSize?: string;
  readonly concurrency?: string;
  readonly decodeWorkers?: string;
  readonly decode?: string;
  readonly maxPixels?: string;
  readonly retryFailed?: boolean;
  readonly json?: boolean;
  readonly minShot?: string;
  readonly maxShot?: string;
  readonly videoTimeout?: string;
}

export type ParsedIndexArgs = Omit<IndexRequest, 'signal' | 'onWarning' | 'video'> & {
  /** Video shot settings; the command adds where ffmpeg is. */
  readonly videoShots: Omit<VideoSettings, 'ffmpeg'>;
  readonly libraryDir: string;
  /** Worker threads for decode + preprocess to start with; 0 = on the main thread. */
  readonly decodeWorkers: number;
  /** Whether --decode-workers was given (then it is not rebalanced). */
  readonly decodeWorkersSet: boolean;
  /** Most decode workers the run may balance up to (= decodeWorkers when set by the flag; 0: no pool). */
  readonly maxDecodeWorkers: number;
  /** 'fast' (default): libvips resamples big photos; 'exact': the Pillow port always. */
  readonly decode: PreprocessFidelity;
};

export async function parseIndexArgs(args: IndexArgs, cwd: string): Promise<ParsedIndexArgs> {
  if (!args.library) throw new EngineError('INVALID_INPUT', '--library <dir> is required');
  const folders: string[] = [];
  const imageFiles: string[] = [];
  const corpora: string[] = [];
  for (const raw of args._.flat()) {
    const abs = path.resolve(cwd, raw);
    const st = await stat(abs).catch((e: unknown) => {
      throw fromFsError(e, raw);
    });
    if (st.isDirectory()) folders.push(abs);
    else if (isMediaName(abs)) imageFiles.push(abs);
    else if (isTextCorpusName(abs)) corpora.push(abs);
    else {
      throw new EngineError(
        'INVALID_INPUT',
        `${raw}: not a folder, an image, a video or a text corpus (.txt, .jsonl, .csv); caption manifests go after --captions`,
      );
    }
  }
  for (const t of args.texts ?? []) corpora.push(await existingFile(t, cwd));
  const captions: string[] = [];
  for (const c of args.captions ?? []) {
    const file = await existingFile(c, cwd);
    await checkCaptionManifest(file); // before any library is created or run recorded
    captions.push(file);
  }
  if (folders.length + imageFiles.length + corpora.length + captions.length === 0 && !args.retryFailed) {
    throw new EngineError(
      'INVALID_INPUT',
      'nothing to index: give folders, images or text files (or --captions / --retry-failed)',
    );
  }
  const decode = decodeOf(args.decode);
  const decodeWorkers =
    args.decodeWorkers === undefined
      ? defaultDecodeWorkers(availableCpus(), decode)
      : nonNegativeInt(args.decodeWorkers, '--decode-workers', 64);
  const maxWorkers = args.decodeWorkers === undefined ? maxDecodeWorkers() : decodeWorkers;
  const batchSize =
    args.batchSize === undefined
      ? INDEX_DEFAULTS.batchSize
      : positiveInt(args.batchSize, '--batch-size', 4096);
  return {
    ...INDEX_DEFAULTS,
    libraryDir: path.resolve(cwd, args.library),
    folders,
    imageFiles,
    corpora,
    captions,
    filter: { include: args.include ?? [], exclude: args.exclude ?? [], includeHidden: args.hidden === true },
    batchSize,
    textBatchSize: Math.max(batchSize, INDEX_DEFAULTS.textBatchSize),
    concurrency:
      args.concurrency === undefined
        ? defaultConcurrency(availableCpus(), maxWorkers)
        : positiveInt(args.concurrency, '--concurrency', 256),
    decodeWorkers,
    decodeWorkersSet: args.decodeWorkers !== undefined,
    maxDecodeWorkers: maxWorkers,
    decode,
    maxPixels:
      args.maxPixels === undefined
        ? INDEX_DEFAULTS.maxPixels
        : positiveInt(args.maxPixels, '--max-pixels', 2 ** 40),
    retryFailed: args.retryFailed === true,
    videoShots: {
      ...VIDEO_DEFAULTS,
      ...(args.minShot === undefined ? {} : { minShot: seconds(args.minShot, '--min-shot') }),
      ...(args.maxShot === undefined ? {} : { maxShot: seconds(args.maxShot, '--max-shot') }),
      ...(args.videoTimeout === undefined
        ? {}
        : { timeoutMs: 1000 * seconds(args.videoTimeout, '--video-timeout') }),
    },
  };
}

function seconds(raw: string, flag: string): number {
  const x = Number(raw);
  if (!Number.isFinite(x) || x <= 0 || x > 86_400) {
    throw new EngineError('INVALID_INPUT', `${flag} must be a number of seconds above 0 (got "${raw}")`);
  }
  return x;
}

async function existingFile(raw: string, cwd: string): Promise<string> {
  const abs = path.resolve(cwd, raw);
  const st = await stat(abs).catch((e: unknown) => {
    throw fromFsError(e, raw);
  });
  if (!st.isFile()) throw new EngineError('INVALID_INPUT', `${raw}: not a file`);
  return abs;
}

/**
 * Decode workers to start with. 'fast': none, the main thread: sharp decodes there on libuv's
 * threads, so big photos already use every CPU, and measured on 2 CPUs (bench/index) workers only
 * added their start-up and a copy of each file; the balancer starts workers when the main thread's
 * JavaScript turns out to be the bottleneck (small images). 'exact': one per available CPU but one
 * (left to the encoder and the main thread), at most 8, since its Pillow port is JavaScript. A
 * single-CPU process decodes on the main thread: workers would only add copies.
 */
export function defaultDecodeWorkers(cpus = availableCpus(), decode: PreprocessFidelity = 'fast'): number {
  return decode === 'fast' ? 0 : Math.min(8, Math.max(0, cpus - 1));
}

/**
 * Files read and decoded at once: about four per decode worker the run may use (a worker keeps
 * one image in sharp while it runs the JavaScript half of another; measured on 2 CPUs, 8 in flight
 * decoded 10–60% faster than 4), at least one per CPU and 4, at most 32. Memory stays bounded by
 * maxBytesInFlight.
 */
export function defaultConcurrency(cpus: number, maxWorkers: number): number {
  return Math.min(32, Math.max(INDEX_DEFAULTS.concurrency, cpus, 4 * maxWorkers));
}

/** The balancer may go up to one worker per CPU (when the encoder starves), at most 8; none on one CPU. */
export function maxDecodeWorkers(cpus = availableCpus()): number {
  return cpus <= 1 ? 0 : Math.min(8, cpus);
}

function decodeOf(value: string | undefined): PreprocessFidelity {
  if (value === undefined || value === 'fast' || value === 'exact') return value ?? 'fast';
  throw new EngineError('INVALID_INPUT', `--decode must be fast or exact (got "${value}")`);
}

function nonNegativeInt(value: string, flag: string, max: number): number {
  return value === '0' ? 0 : positiveInt(value, flag, max);
}
