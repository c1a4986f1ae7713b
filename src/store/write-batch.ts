/**
 * What a WriteBatch means, applied inside the caller's SQLite transaction: deletions, then
 * moves, then item upserts (matched on rootId + uri) with their vectors, then pairs. Every
 * vector change takes the next sequence number so HNSW can replay it.
 */
import { EngineError } from '../errors.ts';
import { l2Normalize } from '../vector/vector-math.ts';
import type { ItmFeatureRepository } from './itm-feature.repository.ts';
import { toParams, type ItemRepository, type ItemRow } from './item.repository.ts';
import { applyVideo, moveShots, retireShots, type VideoWriteContext } from './write-video.ts';
import type { KeywordRepository } from './keyword.repository.ts';
import type { ItemWrite, WriteBatch } from './library.types.ts';
import type { MetaRepository } from './meta.repository.ts';
import type { PhashRepository } from './phash.repository.ts';
import type { NeighbourRepository } from './neighbour.repository.ts';
import { FINGERPRINT_BYTES } from '../image/fingerprint.ts';
import type { RootRepository } from './root.repository.ts';
import type { ShotRepository } from './shot.repository.ts';
import type { TagRepository } from './tag.repository.ts';
import type { VectorRepository } from './vector.repository.ts';

export interface BatchRepos {
  readonly items: ItemRepository;
  readonly vectors: VectorRepository;
  readonly roots: RootRepository;
  readonly meta: MetaRepository;
  readonly phash: PhashRepository;
  readonly neighbours: NeighbourRepository;
  readonly tags: TagRepository;
  readonly itm?: ItmFeatureRepository;
  readonly shots: ShotRepository;
  /** When present, the keyword documents of every item the batch touches are rebuilt. */
  readonly keywords?: KeywordRepository;
}

/** Checks a batch before any SQL runs; returns the normalised vector of each item write. */
export function validateBatch(batch: WriteBatch, dim: number): (Float32Array | undefined)[] {
  for (const [i, move] of (batch.moves ?? []).entries()) {
    if (typeof move.uri !== 'string' || move.uri === '') {
      throw new EngineError('INVALID_INPUT', `moves[${i}]: uri must be a non-empty string`);
    }
  }
  return (batch.items ?? []).map((item, i) => {
    const where = `items[${i}] (${item.uri})`;
    if (item.kind !== 'image' && item.kind !== 'text') {
      throw new EngineError('INVALID_INPUT', `${where}: kind must be 'image' or 'text'`);
    }
    if (typeof item.uri !== 'string' || item.uri === '') {
      throw new EngineError('INVALID_INPUT', `items[${i}]: uri must be a non-empty string`);
    }
    if (!['indexed', 'failed', 'pending'].includes(item.status)) {
      throw new EngineError('INVALID_INPUT', `${where}: unknown status ${String(item.status)}`);
    }
    if (item.status === 'failed' && !item.error) {
      throw new EngineError('INVALID_INPUT', `${where}: status 'failed' needs an error`);
    }
    if (typeof item.phash === 'string' && !/^[0-9a-f]{16}$/.test(item.phash)) {
      throw new EngineError('INVALID_INPUT', `${where}: phash must be 16 lowercase hex digits`);
    }
    if (item.fingerprint && item.fingerprint.length !== FINGERPRINT_BYTES) {
      throw new EngineError('INVALID_INPUT', `${where}: fingerprint must be ${FINGERPRINT_BYTES} bytes`);
    }
    for (const tag of item.tags ?? []) {
      if (typeof tag.label !== 'string' || !(tag.score >= 0 && tag.score <= 1)) {
        throw new EngineError('INVALID_INPUT', `${where}: tags need a label and a score from 0 to 1`);
      }
    }
    if (!item.vector) return undefined;
    if (item.vector.length !== dim) {
      throw new EngineError(
        'DIMENSION_MISMATCH',
        `${where}: vector has ${item.vector.length} dimensions but this library holds ${dim}-dimensional vectors`,
      );
    }
    let norm = 0;
    for (const x of item.vector) norm += x * x;
    if (!Number.isFinite(norm) || norm === 0) {
      throw new EngineError('INVALID_INPUT', `${where}: vector is zero or not finite`);
    }
    return l2Normalize(item.vector);
  });
}

export function applyBatch(
  repos: BatchRepos,
  batch: WriteBatch,
  vectors: readonly (Float32Array | undefined)[],
  now: number,
  shotVectors: readonly (readonly Float32Array[])[] = [],
): { itemIds: number[]; videoIds: number[] } {
  const { items, meta } = repos;
  /** Items whose keyword documents must be rebuilt: names, captions or metadata changed. */
  const touched = new Set<number>();
  let seq = meta.lastSeq();
  const nextSeq = (): number => ++seq;
  const setLive = (id: number, live: boolean): void => {
    if (repos.vectors.setLive(id, live, seq + 1)) seq++;
  };
  const remove = (row: ItemRow): void => {
    if (row.status !== 'deleted') items.setStatus.run({ id: row.id, status: 'deleted', now });
    setLive(row.id, false);
    if (row.kind === 'video') retireShots(repos, row.id, 0, remove);
  };
  const videoCtx: VideoWriteContext = { nextSeq, setLive, remove, now };

  for (const id of batch.deletions ?? []) {
    const row = items.byId.get(id);
    if (row) remove(row);
  }

  for (const move of batch.moves ?? []) {
    const row = items.byId.get(move.id);
    if (!row) throw new EngineError('NOT_FOUND', `move of unknown item ${move.id}`);
    checkRoot(repos, move.rootId);
    const occupant = items.byPlace.get({ rootId: move.rootId, uri: move.uri });
    // The moved file replaced whatever lived at the destination.
    if (occupant && occupant.id !== row.id && occupant.status !== 'deleted') remove(occupant);
    const revive = row.status === 'deleted';
    const hasVector =
      row.kind === 'video'
        ? moveShots(repos, row, move, revive, videoCtx)
        : repos.vectors.get(row.id) !== undefined;
    const status = revive ? (hasVector ? 'indexed' : 'pending') : row.status;
    const mtimeMs = move.mtimeMs ?? null;
    items.setPlace.run({
      id: row.id,
      rootId: move.rootId,
      uri: move.uri,
      mtimeMs,
      keepMtime: move.mtimeMs === undefined ? 1 : 0,
      status,
      now,
    });
    if (revive && hasVector) setLive(row.id, true);
    touched.add(row.id);
  }

  const ids = (batch.items ?? []).map((write, i) => {
    checkRoot(repos, write.rootId);
    const id = upsertItem(repos, write, now);
    touched.add(id);
    if (write.kind === 'text' && repos.keywords) {
      for (const imageId of repos.keywords.imagesCaptionedBy(id)) touched.add(imageId);
    }
    const vector = vectors[i];
    if (write.status === 'indexed') {
      if (write.itmFeatures && batch.itmStageId !== undefined && write.kind === 'image') {
        repos.itm?.put(id, batch.itmStageId, write.itmFeatures);
      }
      if (vector) {
        repos.vectors.put(id, write.kind, nextSeq(), vector);
        // A new vector: the image's stored neighbour pairs were for the old one.
        if (write.kind === 'image') repos.neighbours.forget(id);
      } else if (repos.vectors.get(id)) {
        setLive(id, true); // metadata-only update of an item whose vector is unchanged
      } else {
        throw new EngineError('INVALID_INPUT', `items[${i}] (${write.uri}): status 'indexed' needs a vector`);
      }
    } else {
      setLive(id, false);
    }
    if (write.kind === 'image') writeSignals(repos, id, write);
    return id;
  });

  for (const pair of batch.pairs ?? []) {
    const image = items.byPlace.get(pair.image);
    const text = items.byPlace.get(pair.text);
    if (!image || image.kind !== 'image' || image.status === 'deleted') {
      throw new EngineError('INVALID_INPUT', `pair refers to no image at ${pair.image.uri}`);
    }
    if (!text || text.kind !== 'text' || text.status === 'deleted') {
      throw new EngineError('INVALID_INPUT', `pair refers to no text at ${pair.text.uri}`);
    }
    items.insertPair.run(image.id, text.id);
    touched.add(image.id);
  }

  const videoIds = (batch.videos ?? []).map((video, i) => {
    checkRoot(repos, video.rootId);
    return applyVideo(repos, video, shotVectors[i] ?? [], videoCtx);
  });
  for (const id of videoIds) touched.add(id);
  repos.keywords?.refresh(touched);

  meta.setLastSeq(seq);
  return { itemIds: ids, videoIds };
}

/** Perceptual hash, fingerprint and tags beside the item: a failed image has none. */
function writeSignals(repos: BatchRepos, id: number, write: ItemWrite): void {
  if (write.status === 'failed' || write.phash === null) repos.phash.remove.run(id);
  else if (write.phash !== undefined) repos.phash.put.run(id, write.phash);
  else if (write.contentHash) repos.phash.copyFromTwin.run({ id, contentHash: write.contentHash });
  if (write.status === 'failed' || write.fingerprint === null) repos.phash.removeFingerprint.run(id);
  else if (write.fingerprint !== undefined) repos.phash.putFingerprint.run(id, write.fingerprint);
  else if (write.contentHash) repos.phash.copyFingerprintFromTwin.run({ id, contentHash: write.contentHash });
  if (write.status === 'failed') repos.tags.replaceItemTags(id, []);
  else if (write.tags !== undefined) repos.tags.replaceItemTags(id, write.tags);
}

function upsertItem(repos: BatchRepos, write: ItemWrite, now: number): number {
  const params = toParams(write, now);
  const existing = repos.items.byPlace.get({ rootId: write.rootId, uri: write.uri });
  if (existing && existing.kind !== write.kind) {
    if (existing.status !== 'deleted') {
      throw new EngineError(
        'CONFLICT',
        `${write.uri} is already indexed as ${existing.kind} item ${existing.id}, not ${write.kind}`,
      );
    }
  } else if (existing) {
    repos.items.update.run({ ...params, id: existing.id });
    return existing.id;
  }
  const row = repos.items.insert.get(params);
  if (!row) throw new EngineError('INTERNAL', `insert of ${write.uri} returned no id`);
  return row.id;
}

function checkRoot(repos: BatchRepos, rootId: number | null): void {
  if (rootId !== null && !repos.roots.get(rootId)) {
    throw new EngineError('INVALID_INPUT', `unknown root id ${rootId}; call ensureRoot first`);
  }
}
