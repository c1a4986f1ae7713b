/**
 * Where this run's ffmpeg comes from: $CLIPDEX_FFMPEG_DIR alone when set (a folder holding ffmpeg
 * and ffprobe; any other value, e.g. "none", means no ffmpeg: videos then fail with the reason),
 * else the system's on PATH, else the binaries of the @ffmpeg-installer npm packages.
 */
import { locateFfmpeg, type FfmpegLookup } from '../../src/video/ffmpeg.ts';

export function findFfmpeg(env: Readonly<Record<string, string | undefined>>): FfmpegLookup {
  const dir = env['CLIPDEX_FFMPEG_DIR'];
  return dir === undefined ? locateFfmpeg(env['PATH']) : locateFfmpeg(dir, { packages: false });
}
