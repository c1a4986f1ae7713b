/**
 * What a video write means, inside the batch's transaction: the video item (kind 'video', no
 * vector) and one item per shot (kind 'shot', its keyframe vector in the image space, its place
 * `<video uri>#shot=<n>` so path filters apply), plus the `shots` row with times and thumbnail.
 * Re-indexing a video reuses its shot items by position and retires the ones left over; deleting
 * or moving a video does the same to its shots.
 */
import { EngineError } from '../errors.ts';
import { l2Normalize } from '../vector/vector-math.ts';
import { toParams, type ItemRow } from './item.repository.ts';
import type { ItemMove, StoredKind, VideoWrite, WriteBatch } from './library.types.ts';
import type { BatchRepos } from './write-batch.ts';

export interface VideoWriteContext {
  readonly nextSeq: () => number;
  readonly setLive: (id: number, live: boolean) => void;
  readonly remove: (row: ItemRow) => void;
  readonly now: number;
}

export const shotUri = (videoUri: string, position: number): string => `${videoUri}#shot=${position}`;

/** Checks every video write before any SQL runs; returns the normalised shot vectors. */
export function validateVideos(batch: WriteBatch, dim: number): Float32Array[][] {
  return (batch.videos ?? []).map((video, i) => {
    const where = `videos[${i}] (${video.uri})`;
    if (typeof video.uri !== 'string' || video.uri === '') {
      throw new EngineError('INVALID_INPUT', `videos[${i}]: uri must be a non-empty string`);
    }
    if (video.status !== 'indexed' && video.status !== 'failed') {
      throw new EngineError('INVALID_INPUT', `${where}: unknown status ${String(video.status)}`);
    }
    if (video.status === 'failed' && !video.error) {
      throw new EngineError('INVALID_INPUT', `${where}: status 'failed' needs an error`);
    }
    const shots = video.shots ?? [];
    if (video.status === 'indexed' && shots.length === 0) {
      throw new EngineError('INVALID_INPUT', `${where}: an indexed video needs at least one shot`);
    }
    return shots.map((shot, j) => {
      if (!(
        Number.isFinite(shot.start) &&
        Number.isFinite(shot.end) &&
        shot.end >= shot.start &&
        shot.start >= 0
      )) {
        throw new EngineError('INVALID_INPUT', `${where}: shot ${j} needs 0 ≤ start ≤ end`);
      }
      if (shot.vector.length !== dim) {
        throw new EngineError(
          'DIMENSION_MISMATCH',
          `${where}: shot ${j} has a ${shot.vector.length}-d vector; this library holds ${dim}-d vectors`,
        );
      }
      let norm = 0;
      for (const x of shot.vector) norm += x * x;
      if (!Number.isFinite(norm) || norm === 0) {
        throw new EngineError('INVALID_INPUT', `${where}: shot ${j} vector is zero or not finite`);
      }
      return l2Normalize(shot.vector);
    });
  });
}

export function applyVideo(
  repos: BatchRepos,
  video: VideoWrite,
  vectors: readonly Float32Array[],
  ctx: VideoWriteContext,
): number {
  const base = {
    rootId: video.rootId,
    size: video.size ?? null,
    mtimeMs: video.mtimeMs ?? null,
    width: video.width ?? null,
    height: video.height ?? null,
    format: video.format ?? null,
  };
  const videoId = upsert(
    repos,
    'video',
    {
      ...base,
      uri: video.uri,
      contentHash: video.contentHash ?? null,
      metadata: video.metadata ?? null,
      status: video.status,
      error: video.status === 'failed' ? (video.error ?? null) : null,
    },
    ctx.now,
  );
  const shots = video.status === 'indexed' ? (video.shots ?? []) : [];
  // Date filters run over the shots (they are what the image space holds): each carries its
  // video's capture time (see TAKEN_AT_SQL).
  const takenAtMs = video.metadata?.['takenAtMs'];
  const shotMetadata = typeof takenAtMs === 'number' ? { takenAtMs } : null;
  shots.forEach((shot, position) => {
    const id = upsert(
      repos,
      'shot',
      { ...base, uri: shotUri(video.uri, position), metadata: shotMetadata, status: 'indexed' },
      ctx.now,
    );
    repos.vectors.put(id, 'image', ctx.nextSeq(), vectors[position]!);
    repos.shots.put.run({
      itemId: id,
      videoId,
      position,
      start: shot.start,
      end: shot.end,
      thumbnail: shot.thumbnail
        ? Buffer.from(shot.thumbnail.buffer, shot.thumbnail.byteOffset, shot.thumbnail.byteLength)
        : null,
    });
  });
  retireShots(repos, videoId, shots.length, ctx.remove);
  return videoId;
}

/** Deletes the shots of a video from `fromPosition` on. */
export function retireShots(
  repos: BatchRepos,
  videoId: number,
  fromPosition: number,
  remove: (row: ItemRow) => void,
): void {
  for (const shot of repos.shots.allOf(videoId)) {
    if (shot.position < fromPosition) continue;
    const row = repos.items.byId.get(shot.id);
    if (row && row.status !== 'deleted') remove(row);
  }
}

/** Moves a video's shots with it (and revives them with a revived video). Returns whether any shot has a vector. */
export function moveShots(
  repos: BatchRepos,
  video: ItemRow,
  move: ItemMove,
  revive: boolean,
  ctx: VideoWriteContext,
): boolean {
  let any = false;
  for (const shot of repos.shots.allOf(video.id)) {
    const row = repos.items.byId.get(shot.id);
    if (!row) continue;
    const hasVector = repos.vectors.get(shot.id) !== undefined;
    // Shots deleted by an earlier re-index (positions past the end) stay deleted.
    const wasLive =
      row.status !== 'deleted' ||
      (revive && video.status === 'deleted' && row.updated_at === video.updated_at);
    if (!wasLive) continue;
    any ||= hasVector;
    const status = hasVector ? 'indexed' : 'pending';
    repos.items.setPlace.run({
      id: row.id,
      rootId: move.rootId,
      uri: shotUri(move.uri, shot.position),
      mtimeMs: move.mtimeMs ?? null,
      keepMtime: move.mtimeMs === undefined ? 1 : 0,
      status,
      now: ctx.now,
    });
    if (revive && hasVector) ctx.setLive(row.id, true);
  }
  return any;
}

type RowWrite = Omit<Parameters<typeof toParams>[0], 'kind'>;

function upsert(repos: BatchRepos, kind: StoredKind, write: RowWrite, now: number): number {
  const params = toParams({ ...write, kind }, now);
  const existing = repos.items.byPlace.get({ rootId: write.rootId, uri: write.uri });
  if (existing && existing.kind === kind) {
    repos.items.update.run({ ...params, id: existing.id });
    return existing.id;
  }
  if (existing && existing.status !== 'deleted') {
    throw new EngineError(
      'CONFLICT',
      `${write.uri} is already indexed as ${existing.kind} item ${existing.id}, not ${kind}`,
    );
  }
  const row = repos.items.insert.get(params);
  if (!row) throw new EngineError('INTERNAL', `insert of ${write.uri} returned no id`);
  return row.id;
}
