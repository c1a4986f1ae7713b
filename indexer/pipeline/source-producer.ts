/**
 * The first stages: discovers every source in order (folders, single images, failed items to
 * retry, then text corpora and caption manifests via text-producer), plans each file or text,
 * and pushes the work into the bounded channel. Up to `concurrency` images are read and decoded at once; the channel's
 * capacity stops this stage running far ahead of the encoder.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { createPathFilter } from '../discovery/path-filter.ts';
import { walkFolder, type DiscoveredFile } from '../discovery/walk-folder.ts';
import type { BoundedChannel } from './bounded-channel.ts';
import { seenKey, type DeletionScope } from './deletion-scan.ts';
import type { IndexLibrary, IndexModel } from './index-deps.ts';
import type { IndexRequest } from './index-request.ts';
import type { IndexStats } from './index-stats.ts';
import { isVideoName } from '../discovery/media-types.ts';
import { planImage, type ImagePlanContext } from './plan-image.ts';
import { planVideo, VIDEO_DEFAULTS, type VideoPlanContext } from './plan-video.ts';
import { RootMap } from './root-map.ts';
import { produceTexts } from './text-producer.ts';
import type { WorkUnit } from './work-unit.ts';

export interface ProducerState {
  readonly seen: Set<string>;
  readonly deletionScopes: DeletionScope[];
  /** True once the consumer stopped (abort or fatal error): stop producing. */
  stopped: () => boolean;
}

export async function produceSources(
  req: IndexRequest,
  library: IndexLibrary,
  model: IndexModel,
  stats: IndexStats,
  channel: BoundedChannel<WorkUnit>,
  state: ProducerState,
  video?: VideoPlanContext,
): Promise<void> {
  const roots = new RootMap(library);
  const warn = req.onWarning ?? (() => {});
  const planCtx: ImagePlanContext = {
    library,
    preprocessor: model.preprocessor,
    retryFailed: req.retryFailed,
    maxPixels: req.maxPixels,
    maxFileBytes: req.maxFileBytes,
    claimed: new Set(),
    ...(model.hash ? { hash: model.hash } : {}),
    onMetadataProblem: (uri, problem) => {
      stats.metadataProblems += 1;
      warn(`${uri}: ${problem}`);
    },
  };
  const videoCtx: VideoPlanContext = video ?? {
    settings: {
      ...VIDEO_DEFAULTS,
      ffmpeg: { ok: false, reason: 'video indexing is not set up (no ffmpeg given)' },
    },
    runner: undefined,
    spec: model.preprocessor.spec,
  };
  const inflight = new Set<Promise<void>>();
  let bytesInFlight = 0;
  let fatal: unknown;
  const submit = async (file: DiscoveredFile, rootId: number, uri: string): Promise<void> => {
    stats.filesSeen += 1;
    state.seen.add(seenKey(rootId, uri));
    // Bound both the number of files in flight and their bytes (a few huge TIFFs must not
    // add up to gigabytes); one file alone may always go, however big.
    const cost = Math.min(file.size, req.maxFileBytes);
    while (
      inflight.size >= req.concurrency ||
      (inflight.size > 0 && bytesInFlight + cost > req.maxBytesInFlight)
    ) {
      await Promise.race(inflight);
    }
    bytesInFlight += cost;
    const isVideo = isVideoName(file.relPath);
    const plan = isVideo
      ? planVideo({ ...file, rootId, uri }, planCtx, videoCtx)
      : planImage({ ...file, rootId, uri }, planCtx);
    const task = plan
      .then(async (unit) => {
        if (unit) await channel.push(unit);
        else {
          (isVideo ? stats.videos : stats.images).unchanged += 1;
          stats.filesDone += 1;
        }
      })
      .catch((error: unknown) => {
        if (!state.stopped()) fatal ??= error;
      })
      .finally(() => {
        bytesInFlight -= cost;
        inflight.delete(task);
      });
    inflight.add(task);
  };
  const halted = (): boolean => state.stopped() || fatal !== undefined;

  for (const folder of req.folders) {
    const real = await realpath(folder);
    const scopeRoot = roots.rootFor(real);
    const filter = createPathFilter(req.filter);
    for await (const file of walkFolder(real, {
      filter,
      onDirectoryError: (dir, e) => warn(`cannot list ${dir}: ${(e as Error).message}`),
    })) {
      if (halted()) break;
      const placed = roots.place(path.join(real, ...file.relPath.split('/')));
      if (placed) await submit(file, placed.rootId, placed.uri);
    }
    const prefix = roots.place(real)?.uri ?? '';
    for (const kind of ['image', 'video'] as const) {
      state.deletionScopes.push({
        rootId: scopeRoot.id,
        prefix: prefix ? `${prefix}/` : '',
        kind,
        checkFile: true,
      });
      for (const r of roots.rootsWithin(real)) {
        if (r.id !== scopeRoot.id) {
          state.deletionScopes.push({ rootId: r.id, prefix: '', kind, checkFile: true });
        }
      }
    }
  }
  for (const file of req.imageFiles) {
    if (halted()) break;
    const real = await realpath(file);
    const st = await stat(real);
    const placed = roots.place(real, path.dirname(real));
    if (placed) {
      await submit(
        { absPath: real, relPath: path.basename(real), size: st.size, mtimeMs: Math.trunc(st.mtimeMs) },
        placed.rootId,
        placed.uri,
      );
    }
  }
  if (req.retryFailed) {
    for (const item of library.listFailed(1_000_000)) {
      if (item.kind !== 'image' && item.kind !== 'video') continue;
      if (halted()) break;
      if (item.rootId === null || state.seen.has(seenKey(item.rootId, item.uri))) continue;
      const abs = library.resolvePath(item);
      if (!abs) continue;
      const st = await stat(abs).catch(() => undefined);
      if (!st) continue; // gone: the next rescan of its folder deletes it
      await submit(
        { absPath: abs, relPath: item.uri, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) },
        item.rootId,
        item.uri,
      );
    }
  }
  await Promise.all(inflight);
  if (fatal !== undefined) {
    throw fatal instanceof Error ? fatal : new Error('planning failed', { cause: fatal });
  }

  await produceTexts(req, library, stats, channel, state, roots, halted);
}
