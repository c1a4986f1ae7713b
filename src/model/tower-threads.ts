/**
 * How many intra-op threads each tower gets: the user's --threads, else a calibration cached for
 * this machine and graph, else one measured now (thread-calibration.ts), else every available CPU.
 * Split in two steps because the probe needs an encoder, and the encoder needs an open session:
 * `planTowerThreads` says which thread count to open with, `calibrateTower` then times the others
 * and keeps the fastest session.
 */
import { availableCpus, cpuSignature, othersBusyMs, type CpuSignature } from '../encoders/cpu-topology.ts';
import { runtimeVersion, type OnnxSession } from '../encoders/onnx-session.ts';
import {
  calibrateThreads,
  describeTrials,
  pickThreads,
  threadCandidates,
  type CalibrationOptions,
  type ThreadChoice,
} from '../encoders/thread-calibration.ts';
import type { CalibrationCache, CalibrationEntry, CalibrationKey } from './calibration-cache.ts';
import { sha256File } from './fingerprint.ts';

export interface ThreadSettings {
  /** The user's thread count for both towers: no calibration. */
  readonly threads?: number;
  /** Calibrate when `threads` is not given. Without it: every available CPU, unmeasured. */
  readonly calibration?: {
    /** Where results are remembered; without it every load measures. */
    readonly cache?: CalibrationCache;
    /** The machine; tests pass another to check that a new CPU invalidates the cache. */
    readonly cpu?: CpuSignature;
    readonly options?: CalibrationOptions;
    /** Wall clock for the age of cached entries (tests). */
    readonly now?: () => number;
  };
}

export interface TowerThreadPlan {
  /** Threads to open the session with. */
  readonly initial: number;
  readonly choice: ThreadChoice;
  /** Set when the tower still has to be measured. */
  readonly pending?: { readonly key: CalibrationKey; readonly candidates: readonly number[] };
}

/**
 * A calibration timed while other processes kept more than a fifth of the CPUs busy is trusted
 * for an hour only, then timed again: load from elsewhere slows a many-thread candidate more than
 * a one-thread one, so a busy moment must not pin a machine to fewer threads for good.
 */
export const LOADED_SHARE = 0.2;
export const LOADED_TTL_MS = 60 * 60 * 1000;

function stale(entry: CalibrationEntry, cpus: number, nowMs: number): boolean {
  if (entry.otherCpus === undefined || entry.otherCpus <= LOADED_SHARE * cpus) return false;
  const at = Date.parse(entry.measuredAt);
  return !Number.isFinite(at) || nowMs - at > LOADED_TTL_MS;
}

/** Graph hashes computed here are handed to the fingerprint, so no file is hashed twice. */
export async function planTowerThreads(
  graphFile: string,
  settings: ThreadSettings,
  hashes: Map<string, string>,
): Promise<TowerThreadPlan> {
  if (settings.threads !== undefined) {
    return {
      initial: settings.threads,
      choice: { threads: settings.threads, source: 'flag', reason: 'set by --threads', trials: [] },
    };
  }
  const calibration = settings.calibration;
  if (!calibration) {
    const n = availableCpus();
    return {
      initial: n,
      choice: {
        threads: n,
        source: 'default',
        reason: `not calibrated: one per available CPU (${n})`,
        trials: [],
      },
    };
  }
  const cpu = calibration.cpu ?? cpuSignature();
  const candidates = threadCandidates(cpu.count);
  if (candidates.length === 1) {
    return {
      initial: 1,
      choice: {
        threads: 1,
        source: 'single-cpu',
        reason: '1 CPU available to this process: nothing to measure',
        trials: [],
      },
    };
  }
  let graph = hashes.get(graphFile);
  if (graph === undefined) {
    graph = await sha256File(graphFile);
    hashes.set(graphFile, graph);
  }
  const key: CalibrationKey = { cpu, runtime: runtimeVersion(), graph };
  const cached = await calibration.cache?.read(key);
  const hit = cached && !stale(cached, cpu.count, calibration.now?.() ?? Date.now()) ? cached : undefined;
  if (hit) {
    const chosen =
      hit.trials.find((t) => t.threads === hit.threads) ??
      (hit.trials.length ? pickThreads(hit.trials) : undefined);
    const loaded =
      hit.otherCpus !== undefined && hit.otherCpus >= 0.05
        ? ` while other processes kept ${hit.otherCpus.toFixed(2)} CPUs busy`
        : '';
    const reason = chosen
      ? `${describeTrials(chosen, hit.trials)}, measured ${hit.measuredAt}${loaded}`
      : `measured ${hit.measuredAt}${loaded}`;
    return {
      initial: hit.threads,
      choice: { threads: hit.threads, source: 'cached', reason, trials: hit.trials },
    };
  }
  const top = candidates[candidates.length - 1]!;
  return {
    initial: top,
    choice: { threads: top, source: 'default', reason: 'not yet measured', trials: [] },
    pending: { key, candidates },
  };
}

/**
 * Times the tower at every candidate thread count (the open `session` is one of them), keeps the
 * fastest session and closes the rest. Returns the session to use and why. GPU sessions are not
 * calibrated: intra-op threads barely matter there.
 */
export async function calibrateTower(
  session: OnnxSession,
  plan: TowerThreadPlan,
  settings: ThreadSettings,
  openAt: (threads: number) => Promise<OnnxSession>,
  probe: (session: OnnxSession) => Promise<unknown>,
  items: number,
): Promise<{ session: OnnxSession; choice: ThreadChoice }> {
  const pending = plan.pending;
  if (!pending || session.provider !== 'cpu') return { session, choice: plan.choice };
  const sessions = new Map<number, OnnxSession>([[plan.initial, session]]);
  let choice: ThreadChoice;
  try {
    for (const t of pending.candidates) if (!sessions.has(t)) sessions.set(t, await openAt(t));
    choice = await calibrateThreads(pending.candidates, items, (t) => probe(sessions.get(t)!), plan.initial, {
      othersBusyMs,
      ...settings.calibration?.options,
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    choice = {
      threads: plan.initial,
      source: 'fallback',
      reason: `calibration failed (${why}); using ${plan.initial}`,
      trials: [],
    };
  }
  const keep = sessions.get(choice.threads) ?? session;
  await Promise.all([...sessions.values()].filter((s) => s !== keep).map((s) => s.close()));
  if (choice.source === 'measured') {
    await settings.calibration?.cache?.write(pending.key, choice.threads, choice.trials, choice.otherCpus);
  }
  return {
    session: keep,
    choice:
      keep === session && choice.source !== 'measured' ? { ...choice, threads: session.threads } : choice,
  };
}
