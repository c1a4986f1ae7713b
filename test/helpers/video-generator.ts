/**
 * Makes test videos from the demo emoji with ffmpeg, with their ground truth: which concept is on
 * screen when, and where the cuts are. Nothing big is committed; tests and benches generate what
 * they need (small and short for tests). Each shot is one emoji drifting slowly on white, with a
 * little temporal noise so the encoder and decoder do realistic work.
 *
 *   hard cuts or 1 s cross-fades, any size and frame rate, variable frame rate (frames dropped
 *   irregularly, as phones do), rotation metadata, keyframe spacing, plus lavfi-only sources for
 *   long/huge hostile cases.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FfmpegRunner, locateFfmpeg, type FfmpegTools } from '../../src/video/ffmpeg.ts';

export const DEMO_IMAGES = fileURLToPath(new URL('../../fixtures/demo/images/', import.meta.url));

export interface ShotSpec {
  /** File name in fixtures/demo/images. */
  readonly image: string;
  /** The concept a text query should find it by. */
  readonly concept: string;
  readonly seconds: number;
}

export interface VideoSpec {
  readonly shots: readonly ShotSpec[];
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly transition?: 'cut' | 'fade';
  /** Drop frames irregularly and keep timestamps: a variable frame rate. */
  readonly vfr?: boolean;
  /** Rotation metadata in degrees clockwise; width × height is the upright (display) size. */
  readonly rotate?: 0 | 90 | 180 | 270;
  /** Frames between keyframes (default 2 s worth). */
  readonly gop?: number;
  /** Temporal noise strength 0–100 (default 4). */
  readonly noise?: number;
  readonly crf?: number;
}

export interface GroundTruthShot {
  readonly concept: string;
  readonly start: number;
  readonly end: number;
}

export interface GroundTruth {
  readonly shots: readonly GroundTruthShot[];
  /** Boundaries between shots (the middle of a cross-fade). */
  readonly cuts: readonly number[];
  readonly duration: number;
}

export const FADE_SECONDS = 1;

export function videoTools(): FfmpegTools {
  const found = locateFfmpeg(process.env['PATH']);
  if (!found.ok) throw new Error(found.reason);
  return found.tools;
}

/** Writes `out` (an .mp4/.mkv/.webm by extension) and returns what is in it. */
export async function makeVideo(
  out: string,
  spec: VideoSpec,
  tools: FfmpegTools = videoTools(),
): Promise<GroundTruth> {
  const fade = spec.transition === 'fade' ? FADE_SECONDS : 0;
  const starts: number[] = [];
  let t = 0;
  for (const shot of spec.shots) {
    starts.push(t);
    t += shot.seconds - fade;
  }
  const duration = t + fade;
  const inputs: string[] = [];
  const graph: string[] = [
    `color=c=white:s=${spec.width}x${spec.height}:r=${spec.fps}:d=${duration.toFixed(3)}[bg0]`,
  ];
  const side = Math.round(Math.min(spec.width, spec.height) * 0.9);
  spec.shots.forEach((shot, i) => {
    inputs.push(
      '-loop',
      '1',
      '-framerate',
      String(spec.fps),
      '-t',
      shot.seconds.toFixed(3),
      '-i',
      path.join(DEMO_IMAGES, shot.image),
    );
    const start = starts[i]!;
    const fadeIn = fade > 0 && i > 0 ? `,fade=t=in:st=0:d=${fade}:alpha=1` : '';
    graph.push(
      `[${i}:v]scale=${side}:${side}:flags=bicubic,format=yuva420p${fadeIn},setpts=PTS-STARTPTS+${start.toFixed(3)}/TB[s${i}]`,
    );
    const x = `(W-w)/2+W*0.02*sin(2*PI*t/5)`;
    graph.push(`[bg${i}][s${i}]overlay=x='${x}':y=(H-h)/2:eof_action=pass[bg${i + 1}]`);
  });
  const noise = spec.noise ?? 4;
  const vfr = spec.vfr ? `,select='not(eq(mod(n\\,7)\\,3))*not(eq(mod(n\\,13)\\,5))'` : '';
  // Rotation metadata tells players to turn the stored picture: store it turned the other way,
  // so that only a player (or indexer) that honours the metadata sees it upright (checked by
  // eye with the npm ffmpeg 4.1: its muxer's rotate=90 turns the picture clockwise on decode).
  const turn =
    spec.rotate === 90
      ? ',transpose=clock'
      : spec.rotate === 270
        ? ',transpose=cclock'
        : spec.rotate === 180
          ? ',hflip,vflip'
          : '';
  graph.push(
    `[bg${spec.shots.length}]${noise > 0 ? `noise=alls=${noise}:allf=t,` : ''}format=yuv420p${turn}${vfr}[out]`,
  );
  const gop = spec.gop ?? Math.round(spec.fps * 2);
  const args = [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    graph.join(';'),
    '-map',
    '[out]',
    ...(spec.vfr ? ['-vsync', 'vfr'] : ['-r', String(spec.fps)]),
    ...codecArgs(out, gop, spec.crf ?? 28),
    '-t',
    duration.toFixed(3),
    spec.rotate ? `${out}.tmp${path.extname(out)}` : out,
  ];
  await runFfmpeg(tools, args);
  if (spec.rotate) {
    // Rotation metadata survives only a stream copy with ffmpeg 4.x, not an encode.
    await runFfmpeg(tools, [
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-i',
      `${out}.tmp${path.extname(out)}`,
      '-c',
      'copy',
      '-metadata:s:v:0',
      `rotate=${spec.rotate}`,
      out,
    ]);
    await rm(`${out}.tmp${path.extname(out)}`, { force: true });
  }
  const shots = spec.shots.map((s, i) => ({
    concept: s.concept,
    start: i === 0 ? 0 : starts[i]! + fade / 2,
    end: i === spec.shots.length - 1 ? duration : starts[i + 1]! + fade / 2,
  }));
  return { shots, cuts: shots.slice(1).map((s) => s.start), duration };
}

/** A video from an ffmpeg lavfi source (no images): long, huge or odd cases, cheaply. */
export async function makeLavfiVideo(
  out: string,
  source: string,
  options: { seconds: number; gop?: number; extra?: readonly string[] },
  tools: FfmpegTools = videoTools(),
): Promise<void> {
  await runFfmpeg(tools, [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    source,
    '-t',
    String(options.seconds),
    ...codecArgs(out, options.gop ?? 250, 30),
    ...(options.extra ?? []),
    out,
  ]);
}

function codecArgs(out: string, gop: number, crf: number): string[] {
  const ext = path.extname(out).toLowerCase();
  if (ext === '.webm') {
    return ['-c:v', 'libvpx', '-b:v', '300k', '-g', String(gop), '-deadline', 'realtime', '-cpu-used', '8'];
  }
  return [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    String(crf),
    '-g',
    String(gop),
    '-pix_fmt',
    'yuv420p',
    ...(ext === '.mkv' ? [] : ['-movflags', '+faststart']),
  ];
}

export async function runFfmpeg(
  tools: FfmpegTools,
  args: readonly string[],
  timeoutMs = 300_000,
): Promise<void> {
  const runner = new FfmpegRunner(tools);
  try {
    const result = await runner.capture('ffmpeg', args, { timeoutMs });
    if (result.code !== 0) {
      throw new Error(
        `ffmpeg failed (${String(result.code ?? result.signal)}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
  } finally {
    runner.dispose();
  }
}

/** Sixteen distinct, well-recognised concepts of the demo corpus. */
export const CONCEPTS: readonly Omit<ShotSpec, 'seconds'>[] = [
  { image: 'pizza-fluent-emoji.png', concept: 'pizza' },
  { image: 'rocket-noto.png', concept: 'rocket' },
  { image: 'bicycle-fluent-emoji-flat.png', concept: 'bicycle' },
  { image: 'snowman-emojione.png', concept: 'snowman' },
  { image: 'strawberry-fluent-emoji.png', concept: 'strawberry' },
  { image: 'anchor-fluent-emoji-flat.png', concept: 'anchor' },
  { image: 'airplane-emojione.png', concept: 'airplane' },
  { image: 'horse-fluent-emoji-flat.png', concept: 'horse' },
  { image: 'banana-noto-v1.png', concept: 'banana' },
  { image: 'sunflower-noto-v1.png', concept: 'sunflower' },
  { image: 'fish-noto.png', concept: 'fish' },
  { image: 'balloon-noto.png', concept: 'balloon' },
  { image: 'cat-emojione.png', concept: 'cat' },
  { image: 'dog-face-twemoji.png', concept: 'dog face' },
  { image: 'sun-emojione.png', concept: 'sun' },
  { image: 'bird-twemoji.png', concept: 'bird' },
];

/** `n` shots cycling through CONCEPTS from `offset`, each `seconds` long. */
export function conceptShots(n: number, seconds: number | ((i: number) => number), offset = 0): ShotSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    ...CONCEPTS[(i + offset) % CONCEPTS.length]!,
    seconds: typeof seconds === 'number' ? seconds : seconds(i),
  }));
}
