/**
 * What a video file is, from ffprobe's JSON: container, codec, display size (after rotation),
 * frame rate, duration and capture date. Files that are not videos — audio only, a still
 * image renamed .mp4, nothing ffprobe can read — become UNSUPPORTED_MEDIA with a reason.
 */
import { EngineError } from '../errors.ts';
import { parseXmpDate, type CaptureDate } from '../metadata/capture-date.ts';
import type { FfmpegRunner } from './ffmpeg.ts';

export interface VideoInfo {
  /** Container as ffprobe names it, first alias ('mov' for mp4/mov/m4v/3gp, 'matroska', 'avi'). */
  readonly container: string;
  readonly codec: string;
  /** Display size: coded size with the rotation applied and square pixels. */
  readonly width: number;
  readonly height: number;
  /** Seconds; null when the container does not say (truncated or streamed files). */
  readonly duration: number | null;
  /** Average frame rate (frames / second); null when unknown. */
  readonly fps: number | null;
  /** Degrees clockwise the player turns the picture (0, 90, 180, 270). */
  readonly rotation: number;
  /** ISO 8601 from the container's creation_time, when present. */
  readonly creationTime: string | null;
  /**
   * When it was filmed: Apple's com.apple.quicktime.creationdate (local time with its offset),
   * else the container's creation_time (UTC); null when absent, unreadable or a placeholder.
   */
  readonly takenAt: CaptureDate | null;
  readonly bitRate: number | null;
  readonly audioCodec: string | null;
  /** The container's first timestamp in seconds (subtracted so shots start at 0). */
  readonly startTime: number;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  sample_aspect_ratio?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: Array<{ rotation?: number | string }>;
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: {
    format_name?: string;
    duration?: string;
    start_time?: string;
    bit_rate?: string;
    tags?: Record<string, string>;
  };
}

const PROBE_TIMEOUT_MS = 30_000;

export async function probeVideo(
  runner: FfmpegRunner,
  file: string,
  signal?: AbortSignal,
): Promise<VideoInfo> {
  const result = await runner.capture(
    'ffprobe',
    [
      '-v',
      'error',
      '-probesize',
      '20000000',
      '-analyzeduration',
      '20000000',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      '--',
      file,
    ],
    { timeoutMs: PROBE_TIMEOUT_MS, maxOutputBytes: 4 * 1024 * 1024, ...(signal ? { signal } : {}) },
  );
  if (signal?.aborted) throw new EngineError('ABORTED', 'aborted while probing');
  let json: ProbeJson;
  try {
    json = JSON.parse(result.stdout.toString('utf8') || '{}') as ProbeJson;
  } catch {
    json = {};
  }
  if (result.code !== 0 || !json.format) {
    const why =
      lastLine(result.stderr).replaceAll(file, 'the file') ||
      (result.signal ? `ffprobe killed (${result.signal})` : `ffprobe exited with ${String(result.code)}`);
    throw new EngineError('UNSUPPORTED_MEDIA', `not a readable video: ${why}`);
  }
  return parseProbe(json);
}

export function parseProbe(json: ProbeJson): VideoInfo {
  const format = json.format ?? {};
  const formatName = format.format_name ?? 'unknown';
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (/(^|,)(image2|[a-z0-9]+_pipe)(,|$)/.test(formatName)) {
    throw new EngineError(
      'UNSUPPORTED_MEDIA',
      `a still image (${video?.codec_name ?? formatName}), not a video`,
    );
  }
  if (!video) {
    throw new EngineError(
      'UNSUPPORTED_MEDIA',
      audio ? `no video stream (audio only: ${audio.codec_name ?? 'unknown codec'})` : 'no video stream',
    );
  }
  if (!video.width || !video.height) {
    throw new EngineError(
      'UNSUPPORTED_MEDIA',
      `video stream has no picture size (${video.codec_name ?? 'unknown codec'})`,
    );
  }
  const duration = positive(format.duration) ?? positive(video.duration);
  if (Number(video.nb_frames) === 1 && (duration === null || duration < 0.1)) {
    throw new EngineError(
      'UNSUPPORTED_MEDIA',
      `a single still frame (${video.codec_name ?? 'unknown'}), not a video`,
    );
  }
  const rotation = rotationOf(video);
  const sar = ratio(video.sample_aspect_ratio) ?? 1;
  const codedWidth = Math.max(1, Math.round(video.width * (sar > 0 ? sar : 1)));
  const turned = rotation === 90 || rotation === 270;
  const created = format.tags?.['creation_time'] ?? video.tags?.['creation_time'];
  return {
    container: formatName.split(',')[0] ?? formatName,
    codec: video.codec_name ?? 'unknown',
    width: turned ? video.height : codedWidth,
    height: turned ? codedWidth : video.height,
    duration,
    fps: ratio(video.avg_frame_rate) ?? ratio(video.r_frame_rate),
    rotation,
    creationTime: created && !Number.isNaN(Date.parse(created)) ? new Date(created).toISOString() : null,
    takenAt: captureDate([
      format.tags?.['com.apple.quicktime.creationdate'],
      created,
      video.tags?.['creation_time'],
    ]),
    bitRate: positive(format.bit_rate),
    audioCodec: audio?.codec_name ?? null,
    startTime: Number.isFinite(Number(format.start_time)) ? Math.max(0, Number(format.start_time)) : 0,
  };
}

/**
 * An unset QuickTime/MP4 date is stored as 0 seconds since 1904 (or since 1970 by some muxers):
 * those instants are placeholders, not capture dates.
 */
const PLACEHOLDER_DATES = new Set([Date.UTC(1904, 0, 1), 0]);

/** The first of the tags that is a real ISO 8601 date; creation_time without a zone is UTC. */
function captureDate(tags: ReadonlyArray<string | undefined>): CaptureDate | null {
  for (const raw of tags) {
    if (raw === undefined || raw.trim() === '') continue;
    const { date } = parseXmpDate(raw, 'video creation time');
    if (date && !PLACEHOLDER_DATES.has(date.ms)) return date;
  }
  return null;
}

/** Rotation from the display matrix (newer ffprobe) or the legacy `rotate` tag, as 0/90/180/270 clockwise. */
function rotationOf(stream: ProbeStream): number {
  const fromMatrix = stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  // The display matrix angle is counter-clockwise; the tag is clockwise.
  const degrees = fromMatrix !== undefined ? Number(fromMatrix) : Number(stream.tags?.['rotate'] ?? 0);
  if (!Number.isFinite(degrees)) return 0;
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}

function ratio(value: string | undefined): number | null {
  if (!value) return null;
  const [num, den] = value.split(/[/:]/).map(Number);
  if (num === undefined || !Number.isFinite(num) || num <= 0) return null;
  const r = den === undefined ? num : num / den;
  return Number.isFinite(r) && r > 0 ? r : null;
}

function positive(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : null;
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
