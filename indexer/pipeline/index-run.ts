/**
 * Runs one indexing pass: producer (discover → read + hash → decode) and consumer (batch →
 * encode → commit) run at the same time, joined by a bounded channel. Afterwards the folders
 * that were rescanned completely are checked for deleted files, the HNSW graphs are saved and
 * the run is recorded as finished, interrupted (abort signal) or failed.
 */
import { EngineError, isEngineError } from '../../src/errors.ts';
import { BatchWriter } from './batch-writer.ts';
import { BoundedChannel } from './bounded-channel.ts';
import { findDeletions, type DeletionScope } from './deletion-scan.ts';
import type { IndexLibrary, IndexModel } from './index-deps.ts';
import type { IndexRequest } from './index-request.ts';
import { emptyStats, flattenStats, type IndexStats } from './index-stats.ts';
import { FfmpegRunner } from '../../src/video/ffmpeg.ts';
import type { VideoPlanContext } from './plan-video.ts';
import { produceSources } from './source-producer.ts';
import { StageBalancer, type BalanceReport, type BalancerOptions } from './stage-balancer.ts';
import type { WorkUnit } from './work-unit.ts';

export interface IndexSummary {
  readonly runId: number;
  readonly state: 'finished' | 'interrupted';
  readonly elapsedMs: number;
  readonly stats: IndexStats;
  /** How the decode workers were balanced against the encoder, when they were. */
  readonly balance?: BalanceReport;
}

/** The part of the preprocess pool the balancer drives. */
export interface DecodeScaler {
  readonly active: number;
  readonly completed: number;
  setActive(n: number): void;
  busyMs(): number;
}

export interface IndexRunHooks {
  /** Receives the live counters once, before work starts (for progress reporting). */
  readonly onStart?: (stats: IndexStats) => void;
  /** Adjust the number of decode workers within [min, max] (0: the main thread) from the observed stage rates. */
  readonly balance?: {
    readonly pool: DecodeScaler;
    readonly min: number;
    readonly max: number;
    readonly options?: BalancerOptions;
  };
}

const DELETE_CHUNK = 1000;

export async function runIndex(
  req: IndexRequest,
  library: IndexLibrary,
  model: IndexModel,
  hooks: IndexRunHooks = {},
): Promise<IndexSummary> {
  const started = performance.now();
  const stats = emptyStats();
  hooks.onStart?.(stats);
  const run = library.startRun();
  const writer = new BatchWriter(library, model, stats, req);
  // Room for two batches: the encoder always finds its next batch already decoded.
  const channel = new BoundedChannel<WorkUnit>(Math.max(2 * req.batchSize, 8));
  let stopped = false;
  const aborted = (): boolean => req.signal?.aborted === true;
  const state = {
    seen: new Set<string>(),
    deletionScopes: [] as DeletionScope[],
    stopped: () => stopped || aborted(),
  };
  const balance = hooks.balance;
  const balancer = balance
    ? new StageBalancer(balance.min, balance.max, balance.pool.active, balance.options)
    : undefined;
  let waitMs = 0;
  const rebalance = (): void => {
    if (!balance || !balancer) return;
    const nowMs = performance.now();
    const cpu = process.cpuUsage();
    const counters = {
      nowMs,
      encodeMs: stats.encodeMs,
      waitMs,
      decodeBusyMs: balance.pool.busyMs(),
      decoded: balance.pool.completed,
      encoded: stats.images.indexed,
      // Whether the main thread (decoding there when no worker is active) is the bottleneck,
      // and how many CPUs the process actually gets.
      mainBusyMs: performance.eventLoopUtilization().active,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
    const next = balancer.observe(counters);
    if (next !== undefined) balance.pool.setActive(next);
  };

  const runner = req.video?.ffmpeg.ok ? new FfmpegRunner(req.video.ffmpeg.tools) : undefined;
  const video: VideoPlanContext | undefined = req.video
    ? {
        settings: req.video,
        runner,
        spec: model.preprocessor.spec,
        ...(req.signal ? { signal: req.signal } : {}),
      }
    : undefined;
  const producer = produceSources(req, library, model, stats, channel, state, video).then(
    () => channel.close(),
    (error: unknown) => channel.close(error ?? new EngineError('INTERNAL', 'discovery failed')),
  );
  try {
    for (;;) {
      const waited = performance.now();
      const unit = await channel.pull();
      waitMs += performance.now() - waited;
      if (unit === undefined) break;
      try {
        await writer.add(unit);
      } catch (error) {
        // A video being decoded when the run was interrupted: left for the next run.
        if (aborted() && isEngineError(error, 'ABORTED')) break;
        throw error;
      }
      rebalance();
      if (aborted()) break;
    }
    if (!aborted()) await writer.flush();
  } catch (error) {
    stopped = true;
    channel.close();
    await producer;
    try {
      library.finishRun(run.id, 'failed', flattenStats(stats));
    } catch {
      // The original error (often the same full disk) is the one worth reporting.
    }
    throw error;
  } finally {
    stopped = true;
    channel.close();
    runner?.dispose();
  }
  await producer;

  const interrupted = aborted();
  if (!interrupted) {
    for (const scope of state.deletionScopes) {
      const ids = await findDeletions(library, scope, state.seen);
      for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
        library.write({ deletions: ids.slice(i, i + DELETE_CHUNK) });
      }
      const counter =
        scope.kind === 'image' ? stats.images : scope.kind === 'video' ? stats.videos : stats.texts;
      counter.deleted += ids.length;
    }
    // Images written before neighbour pairs were stored (or by other writers) are linked once.
    if (model.neighbours) stats.neighbourQueries += await model.neighbours.linkRemaining();
  }
  await writer.checkpoint();
  const finalState = interrupted ? 'interrupted' : 'finished';
  library.finishRun(run.id, finalState, flattenStats(stats));
  return {
    runId: run.id,
    state: finalState,
    elapsedMs: performance.now() - started,
    stats,
    ...(balancer ? { balance: balancer.report() } : {}),
  };
}
