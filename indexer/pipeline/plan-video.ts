/**
 * Decides what one discovered video file needs, like plan-image does for photos: unchanged
 * (size + mtime) → nothing; same bytes at the same place → new mtime only; same bytes as a
 * vanished video → a move (its shots follow, nothing decoded); otherwise probe it and hand the
 * writer a lazy stream of shots (decoded by ffmpeg while the encoder works through them, so a
 * long video never sits in memory). Every failure becomes a 'failed' video with a reason.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { EngineError } from '../../src/errors.ts';
import type { PreprocessSpec } from '../../src/image/preprocess.types.ts';
import type { FfmpegLookup, FfmpegRunner } from '../../src/video/ffmpeg.ts';
import { keyframeShortSide, keyframeTensor, keyframeThumbnail } from '../../src/video/keyframe.ts';
import { extractShots, type ShotReport } from '../../src/video/video-shots.ts';
import { probeVideo, type VideoInfo } from '../../src/video/video-probe.ts';
import { extensionOf } from '../discovery/media-types.ts';
import type { ImageFile, ImagePlanContext } from './plan-image.ts';
import { pathExists } from './path-exists.ts';
import type { VideoDraft, WorkUnit } from './work-unit.ts';

export interface VideoSettings {
  readonly ffmpeg: FfmpegLookup;
  /** Shortest and longest shot in seconds; longer shots are split (a keyframe every maxShot). */
  readonly minShot: number;
  readonly maxShot: number;
  /** At most this many shots per video (long videos get longer shots instead). */
  readonly maxShots: number;
  /** Wall-clock budget for decoding one video; past it the video is kept as far as it got. */
  readonly timeoutMs: number;
}

export const VIDEO_DEFAULTS = { minShot: 1, maxShot: 10, maxShots: 1000, timeoutMs: 30 * 60_000 } as const;

/** What planning a video needs beyond the image context: the ffmpeg runner of this run. */
export interface VideoPlanContext {
  readonly settings: VideoSettings;
  readonly runner: FfmpegRunner | undefined;
  readonly spec: PreprocessSpec;
  readonly signal?: AbortSignal;
}

/** A shot ready for the vision tower. */
export interface PreparedShot {
  readonly start: number;
  readonly end: number;
  readonly pixels: Float32Array;
  readonly thumbnail: Uint8Array;
}

export async function planVideo(
  file: ImageFile,
  ctx: ImagePlanContext,
  video: VideoPlanContext,
): Promise<WorkUnit | null> {
  const existing = ctx.library.findByUri(file.rootId, file.uri);
  const live = existing && existing.status !== 'deleted' ? existing : undefined;
  const retry = ctx.retryFailed && live?.status === 'failed';
  if (
    live &&
    !retry &&
    live.status !== 'pending' &&
    live.size === file.size &&
    live.mtimeMs === file.mtimeMs
  ) {
    if (!file.error || live.error === file.error) return null;
  }
  const format = extensionOf(file.uri) || null;
  const base: VideoDraft = {
    rootId: file.rootId,
    uri: file.uri,
    size: file.size,
    mtimeMs: file.mtimeMs,
    format,
  };
  const fail = (error: string, extra: Partial<VideoDraft> = {}): WorkUnit => ({
    type: 'write-video',
    outcome: 'failed',
    write: { ...base, ...extra, status: 'failed', error },
  });
  if (file.error) return fail(file.error);
  if (file.size === 0) return fail('empty file (0 bytes)');
  if (!video.settings.ffmpeg.ok || !video.runner) {
    return fail(video.settings.ffmpeg.ok ? 'video indexing is not set up' : video.settings.ffmpeg.reason);
  }

  let contentHash: string;
  try {
    contentHash = await hashFile(file.absPath);
  } catch (error) {
    return fail(`unreadable: ${(error as Error).message}`);
  }
  if (live && !retry && live.contentHash === contentHash && live.status === 'indexed') {
    return {
      type: 'move',
      kind: 'video',
      outcome: 'touched',
      move: { id: live.id, rootId: file.rootId, uri: file.uri, mtimeMs: file.mtimeMs },
    };
  }
  if (!existing) {
    for (const c of ctx.library.findByHash('video', contentHash)) {
      if (c.status !== 'indexed' || ctx.claimed.has(c.id)) continue;
      const oldPath = ctx.library.resolvePath(c);
      if (oldPath && !(await pathExists(oldPath))) {
        ctx.claimed.add(c.id);
        return {
          type: 'move',
          kind: 'video',
          outcome: 'moved',
          move: { id: c.id, rootId: file.rootId, uri: file.uri, mtimeMs: file.mtimeMs },
        };
      }
    }
  }

  let info: VideoInfo;
  try {
    info = await probeVideo(video.runner, file.absPath, video.signal);
  } catch (error) {
    if (video.signal?.aborted) throw error;
    return fail(describeVideoError(error), { contentHash });
  }
  if (info.width * info.height > ctx.maxPixels) {
    return fail(`video frames too large: ${info.width}×${info.height} (limit ${ctx.maxPixels} pixels)`, {
      contentHash,
      width: info.width,
      height: info.height,
    });
  }
  const report: ShotReport = { mode: 'rate', samples: 0, partial: null, covered: 0 };
  const runner = video.runner;
  const { settings, spec } = video;
  const shots = (async function* () {
    const frames = extractShots(
      runner,
      file.absPath,
      info,
      {
        frameSize: keyframeShortSide(spec),
        minShot: settings.minShot,
        maxShot: settings.maxShot,
        maxShots: settings.maxShots,
        timeoutMs: settings.timeoutMs,
        ...(video.signal ? { signal: video.signal } : {}),
      },
      report,
    );
    for await (const shot of frames) {
      yield {
        start: shot.start,
        end: shot.end,
        pixels: keyframeTensor(shot.keyframe, spec),
        thumbnail: await keyframeThumbnail(shot.keyframe),
      };
    }
  })();
  return {
    type: 'encode-video',
    draft: { ...base, contentHash, width: info.width, height: info.height, metadata: videoMetadata(info) },
    shots,
    describe: () => ({ decode: report.mode, ...(report.partial ? { partial: report.partial } : {}) }),
  };
}

function videoMetadata(info: VideoInfo): Record<string, unknown> {
  return {
    duration: info.duration,
    codec: info.codec,
    container: info.container,
    fps: info.fps === null ? null : Math.round(info.fps * 1000) / 1000,
    creationTime: info.creationTime,
    // The capture date in the same keys photos use under `photo`, so hits, sort and filters read both alike.
    takenAt: info.takenAt?.iso ?? null,
    takenAtMs: info.takenAt?.ms ?? null,
    takenAtSource: info.takenAt ? 'video' : null,
    timeZone: info.takenAt?.timeZone ?? null,
    rotation: info.rotation,
    bitRate: info.bitRate,
    audioCodec: info.audioCodec,
  };
}

export function describeVideoError(error: unknown): string {
  if (error instanceof EngineError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `cannot decode video: ${message}`;
}

/** sha256 of a file read in chunks: videos can be far bigger than memory. */
async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
