/**
 * Decodes a video with ffmpeg into small RGB frames with their timestamps: the decode is cut
 * down in ffmpeg itself (only keyframes with `-skip_frame nokey`, or every frame thinned by the
 * `fps` filter) and frames are scaled in the filter graph to the size the model needs, so JS
 * only ever sees a few small frames per second. Timestamps come from the `showinfo` filter on
 * stderr (exact for variable frame rates), paired with the raw frames on stdout in order.
 */
import { EngineError } from '../errors.ts';
import type { RawRgb } from '../image/sharp-decoder.ts';
import type { FfmpegRunner } from './ffmpeg.ts';

export interface SampledFrame extends RawRgb {
  /** Seconds from the start of the video (the container's start time subtracted). */
  readonly t: number;
}

export interface SampleOptions {
  readonly width: number;
  readonly height: number;
  /** 'keyframes': decode only keyframes; 'rate': decode all, keep `rate` frames per second. */
  readonly mode: 'keyframes' | 'rate';
  readonly rate?: number;
  /** Decode only [from, to) seconds (refinement of a cut); default the whole video. */
  readonly from?: number;
  readonly to?: number;
  /** The container's start time, subtracted from every timestamp. */
  readonly startTime?: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SampleEnd {
  /** ffmpeg's exit: 0 when the whole video decoded. */
  readonly code: number | null;
  readonly killed: boolean;
  /** Last meaningful stderr line, for failure reasons. */
  readonly message: string;
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.]+)/;

/**
 * Yields frames as ffmpeg produces them; `end` (given to the callback) says how decoding ended.
 * Breaking out of the loop kills ffmpeg.
 */
export async function* sampleFrames(
  runner: FfmpegRunner,
  file: string,
  options: SampleOptions,
  onEnd?: (end: SampleEnd) => void,
): AsyncGenerator<SampledFrame> {
  const { width, height } = options;
  const frameBytes = width * height * 3;
  const filters = [
    ...(options.mode === 'rate' ? [`fps=${options.rate ?? 4}`] : []),
    `scale=${width}:${height}:flags=bicubic`,
    'setsar=1',
    'format=rgb24',
    'showinfo',
  ];
  const args = [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'info',
    ...(options.mode === 'keyframes' ? ['-skip_frame', 'nokey'] : []),
    ...(options.from !== undefined ? ['-ss', options.from.toFixed(3)] : []),
    ...(options.from !== undefined || options.to !== undefined ? ['-copyts'] : []),
    '-i',
    file,
    ...(options.to !== undefined ? ['-to', options.to.toFixed(3)] : []),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters.join(','),
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
  const proc = runner.start('ffmpeg', args, {
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const offset = options.startTime ?? 0;

  // Timestamps arrive on stderr, frames on stdout: pair them in order.
  const times: number[] = [];
  let stderrTail = '';
  let partialLine = '';
  const lineListener = (chunk: string): void => {
    const text = partialLine + chunk;
    const lines = text.split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) {
      const m = line.includes('showinfo') ? SHOWINFO.exec(line) : null;
      if (m) times.push(Number(m[3]) - offset);
      else if (line.trim()) stderrTail = line.trim();
    }
  };
  proc.onStderr(lineListener);

  let pending: Buffer = Buffer.alloc(0);
  let count = 0;
  let killed = false;
  let ended = false;
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= frameBytes) {
        const data = new Uint8Array(frameBytes);
        data.set(pending.subarray(0, frameBytes));
        pending = pending.subarray(frameBytes);
        // showinfo logs a frame before ffmpeg writes it; wait briefly if stderr lags behind.
        for (let i = 0; i < 50 && times.length <= count; i++) await new Promise((r) => setTimeout(r, 2));
        const t = times[count] ?? (count > 0 ? (times[count - 1] ?? 0) : 0);
        count += 1;
        yield { data, width, height, t: Math.max(0, t) };
      }
    }
    ended = true;
  } finally {
    if (!ended) {
      killed = true;
      proc.kill();
    }
    const result = await proc.exited;
    if (partialLine) lineListener('\n');
    onEnd?.({
      code: result.code,
      killed: killed || result.signal !== null,
      message: stderrTail || result.stderr.split('\n').filter(Boolean).pop() || '',
    });
  }
}

/** One frame at `t` seconds (accurate seek), or undefined when there is none. */
export async function frameAt(
  runner: FfmpegRunner,
  file: string,
  t: number,
  size: { width: number; height: number },
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RawRgb | undefined> {
  const { width, height } = size;
  const result = await runner.capture(
    'ffmpeg',
    [
      '-nostdin',
      '-hide_banner',
      '-loglevel',
      'error',
      '-ss',
      Math.max(0, t).toFixed(3),
      '-i',
      file,
      '-map',
      '0:v:0',
      '-frames:v',
      '1',
      '-vf',
      `scale=${width}:${height}:flags=bicubic,setsar=1,format=rgb24`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { timeoutMs, maxOutputBytes: width * height * 3 + 1, ...(signal ? { signal } : {}) },
  );
  if (signal?.aborted) throw new EngineError('ABORTED', 'aborted while extracting a frame');
  if (result.stdout.length !== width * height * 3) return undefined;
  return { data: new Uint8Array(result.stdout), width, height };
}
