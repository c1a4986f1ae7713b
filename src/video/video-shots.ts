/**
 * A video file → its shots, each with a keyframe already scaled near the model's input size.
 * Picks how to decode from the keyframe spacing: when keyframes come at least every 2 s (phones,
 * cameras, most edited video) only keyframes are decoded — an order of magnitude less work —
 * and each cut between two keyframes is then located by decoding just that stretch; otherwise
 * every frame is decoded and thinned to a few per second. Bounded: at most `maxShots` shots, at
 * most `timeoutMs` of decoding (then the video is kept as far as it got, marked partial).
 */
import { EngineError } from '../errors.ts';
import type { RawRgb } from '../image/sharp-decoder.ts';
import type { FfmpegRunner } from './ffmpeg.ts';
import { frameAt, sampleFrames, type SampleEnd } from './frame-sampler.ts';
import {
  DEFAULT_SEGMENTER,
  frameDifference,
  frameFeatures,
  ShotSegmenter,
  type SegmenterOptions,
} from './shot-segmenter.ts';
import type { VideoInfo } from './video-probe.ts';

export interface ShotOptions {
  /** Short side of keyframes in pixels (at least the model's input size). */
  readonly frameSize: number;
  readonly minShot?: number;
  readonly maxShot?: number;
  readonly maxShots?: number;
  /** Wall-clock budget for decoding one video. */
  readonly timeoutMs: number;
  /** Force a decode mode (tests, benchmarks); default: chosen from the keyframe spacing. */
  readonly mode?: 'keyframes' | 'rate';
  readonly signal?: AbortSignal;
}

export interface VideoShot {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly keyframe: RawRgb;
}

/** How the decode went, filled in while the shots are read. */
export interface ShotReport {
  mode: 'keyframes' | 'rate';
  samples: number;
  /** Why the video was indexed only in part (truncated file, time limit, shot limit); null if whole. */
  partial: string | null;
  /** Seconds covered by the shots. */
  covered: number;
}

const SAMPLE_RATE = 4;
const MAX_KEYFRAME_GAP = 2;

export function keyframeSize(
  info: Pick<VideoInfo, 'width' | 'height'>,
  shortSide: number,
): { width: number; height: number } {
  const even = (x: number): number => Math.max(2, Math.round(x / 2) * 2);
  const { width, height } = info;
  return width >= height
    ? { width: even((shortSide * width) / height), height: even(shortSide) }
    : { width: even(shortSide), height: even((shortSide * height) / width) };
}

export async function* extractShots(
  runner: FfmpegRunner,
  file: string,
  info: VideoInfo,
  options: ShotOptions,
  report: ShotReport,
): AsyncGenerator<VideoShot> {
  const size = keyframeSize(info, options.frameSize);
  const maxShots = options.maxShots ?? 1000;
  const maxShot = Math.max(
    options.maxShot ?? DEFAULT_SEGMENTER.maxShot,
    info.duration ? info.duration / maxShots : 0,
  );
  const segOptions: SegmenterOptions = {
    ...DEFAULT_SEGMENTER,
    maxShot,
    ...(options.minShot === undefined ? {} : { minShot: options.minShot }),
  };
  const deadline = Date.now() + options.timeoutMs;
  const signal = options.signal;
  const withSignal = signal ? { signal } : {};
  report.mode = options.mode ?? (await chooseMode(runner, file, withSignal.signal));

  const refine = async (from: number, to: number): Promise<number | undefined> =>
    refineCut(
      runner,
      file,
      from,
      to,
      info.startTime,
      Math.max(1000, Math.min(20_000, deadline - Date.now())),
      signal,
    );
  const segmenter = new ShotSegmenter(segOptions, refine);
  let end: SampleEnd | undefined;
  let count = 0;
  let lastT = 0;
  const emit = async function* (
    shots: readonly { index: number; start: number; end: number; keyframe: RawRgb | undefined }[],
  ): AsyncGenerator<VideoShot> {
    for (const shot of shots) {
      if (count >= maxShots) return;
      const keyframe =
        shot.keyframe ??
        (await frameAt(runner, file, (shot.start + shot.end) / 2 + info.startTime, size, 20_000, signal));
      if (!keyframe) continue; // nothing decodable there
      count += 1;
      report.covered = shot.end;
      yield { index: count - 1, start: round3(shot.start), end: round3(shot.end), keyframe };
    }
  };

  const frames = sampleFrames(
    runner,
    file,
    // Never above the video's own rate: the fps filter would duplicate frames (a 0.2 fps file × 20).
    {
      ...size,
      mode: report.mode,
      rate: Math.min(SAMPLE_RATE, info.fps ?? SAMPLE_RATE),
      startTime: info.startTime,
      timeoutMs: options.timeoutMs,
      ...withSignal,
    },
    (e) => (end = e),
  );
  for await (const frame of frames) {
    report.samples += 1;
    lastT = frame.t;
    yield* emit(await segmenter.push(frame));
    if (count >= maxShots) {
      report.partial = `stopped at the limit of ${maxShots} shots`;
      break;
    }
  }
  if (signal?.aborted) throw new EngineError('ABORTED', 'interrupted while decoding a video');
  if (report.samples === 0) {
    const why = end?.killed ? 'decoding took too long' : end?.message || 'no frame could be decoded';
    throw new EngineError('UNSUPPORTED_MEDIA', `no decodable video frames: ${why}`);
  }
  if (count < maxShots) {
    const finishedWhole = end?.code === 0 && !end.killed;
    const stop =
      finishedWhole && info.duration !== null ? Math.max(lastT, info.duration) : lastT + 1 / SAMPLE_RATE;
    yield* emit(segmenter.finish(stop));
    if (!finishedWhole && report.partial === null) {
      report.partial = end?.killed
        ? `decoding stopped after the time limit at ${lastT.toFixed(1)} s`
        : `decoding failed at ${lastT.toFixed(1)} s: ${end?.message ?? 'unknown error'}`;
    }
  }
}

/** Keyframes only when they are dense enough to see cuts between them; measured on the first minute. */
async function chooseMode(
  runner: FfmpegRunner,
  file: string,
  signal: AbortSignal | undefined,
): Promise<'keyframes' | 'rate'> {
  const result = await runner
    .capture(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-read_intervals',
        '%+60',
        '-show_entries',
        'packet=pts_time,flags',
        '-of',
        'csv=p=0',
        '--',
        file,
      ],
      { timeoutMs: 20_000, maxOutputBytes: 8 * 1024 * 1024, ...(signal ? { signal } : {}) },
    )
    .catch(() => undefined);
  if (!result || result.code !== 0) return 'rate';
  const keys: number[] = [];
  let packets = 0;
  for (const line of result.stdout.toString('utf8').split('\n')) {
    const [t, flags] = line.split(',');
    if (t === undefined || flags === undefined) continue;
    packets += 1;
    if (flags.includes('K') && Number.isFinite(Number(t))) keys.push(Number(t));
  }
  keys.sort((a, b) => a - b);
  if (keys.length < 3 || packets < 3 * keys.length) return 'rate';
  const gaps = keys
    .slice(1)
    .map((t, i) => t - keys[i]!)
    .sort((a, b) => a - b);
  const maxGap = gaps[gaps.length - 1] ?? Infinity;
  return maxGap <= MAX_KEYFRAME_GAP ? 'keyframes' : 'rate';
}

/** Decodes [from, to] at full rate, small, and returns the time of the biggest change. */
async function refineCut(
  runner: FfmpegRunner,
  file: string,
  from: number,
  to: number,
  startTime: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  let prev: Float32Array | undefined;
  let best: { t: number; d: number } | undefined;
  const frames = sampleFrames(runner, file, {
    width: 64,
    height: 36,
    mode: 'rate',
    rate: 30,
    from: Math.max(0, from + startTime - 0.05),
    to: to + startTime + 0.01,
    startTime,
    timeoutMs,
    ...(signal ? { signal } : {}),
  });
  for await (const frame of frames) {
    const features = frameFeatures(frame);
    // The cut is the first frame of the new shot: after `from`, at the latest the sample at `to`.
    if (prev && frame.t > from + 0.001 && frame.t <= to + 0.001) {
      const d = frameDifference(prev, features);
      if (!best || d > best.d) best = { t: frame.t, d };
    }
    prev = features;
  }
  return best?.t;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
