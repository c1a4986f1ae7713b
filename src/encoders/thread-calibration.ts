/**
 * Picks a tower's ONNX Runtime intra-op thread count by timing it, not by guessing from the CPU
 * topology: on one 2-vCPU cloud machine a second thread doubles throughput, on another (two
 * hyperthreads of one core) it slows the tower down. The caller opens one session per candidate;
 * this module only decides which candidates to try, times them round-robin (so a burst of load
 * from another process hurts every candidate alike) and picks.
 */

/** How a tower's thread count was chosen, with the numbers behind it (`model info`, index summary). */
export interface ThreadChoice {
  readonly threads: number;
  /**
   * 'flag': the user's --threads; 'measured': timed just now; 'cached': timed earlier on this
   * machine for this graph; 'single-cpu': only one CPU is available, nothing to measure;
   * 'fallback': timing failed, so the default stands; 'default': not calibrated (library use, GPU).
   */
  readonly source: 'flag' | 'measured' | 'cached' | 'single-cpu' | 'fallback' | 'default';
  /** One line for people, e.g. "2 threads: 41.3 items/s vs 22.0 with 1". */
  readonly reason: string;
  /** Median items/s per candidate, when measured (or cached). */
  readonly trials: readonly ThreadTrial[];
  /** CPUs other processes kept busy while it was timed (when known): a loaded machine favours fewer threads. */
  readonly otherCpus?: number;
}

export interface ThreadTrial {
  readonly threads: number;
  readonly itemsPerSecond: number;
}

export interface CalibrationOptions {
  /** Stop starting new timing rounds after this long (each candidate still gets `minRounds`). */
  readonly budgetMs?: number;
  readonly minRounds?: number;
  readonly maxRounds?: number;
  /** More threads must be this much faster to win (they cost the other pipeline stages CPU). */
  readonly tolerance?: number;
  /**
   * Timing passes at most: when the pick is a close call (another candidate within `tolerance`
   * of it), one burst of load from elsewhere can decide it, so it is timed again and decided on
   * the medians of every pass. Clear wins are decided after the first.
   */
  readonly looks?: number;
  readonly now?: () => number;
  /** Cumulative CPU-ms used by other processes (cpu-topology.ts `othersBusyMs`); unset: not watched. */
  readonly othersBusyMs?: () => number;
}

export const CALIBRATION_DEFAULTS = {
  budgetMs: 300,
  minRounds: 2,
  maxRounds: 5,
  tolerance: 0.1,
  looks: 2,
} as const;

/** Thread counts worth timing on `cpus` CPUs: 1, 2, 4, … and `cpus` itself, at most `max`. */
export function threadCandidates(cpus: number, max = 16): number[] {
  const top = Math.max(1, Math.min(Math.floor(cpus), max));
  const out: number[] = [];
  for (let n = 1; n < top; n *= 2) out.push(n);
  out.push(top);
  return [...new Set(out)];
}

/** Whether another candidate is within `tolerance` of the pick, either way: a close call. */
export function closeCall(
  chosen: ThreadTrial,
  trials: readonly ThreadTrial[],
  tolerance: number = CALIBRATION_DEFAULTS.tolerance,
): boolean {
  return trials.some(
    (t) =>
      t.threads !== chosen.threads &&
      t.itemsPerSecond >= chosen.itemsPerSecond / (1 + tolerance) &&
      t.itemsPerSecond <= chosen.itemsPerSecond * (1 + tolerance),
  );
}

/** The fastest candidate, except that fewer threads win when within `tolerance` of it. */
export function pickThreads(
  trials: readonly ThreadTrial[],
  tolerance: number = CALIBRATION_DEFAULTS.tolerance,
): ThreadTrial {
  const valid = trials.filter((t) => Number.isFinite(t.itemsPerSecond) && t.itemsPerSecond > 0);
  if (valid.length === 0) throw new Error('no candidate produced a usable timing');
  const best = valid.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  const fewest = [...valid]
    .sort((a, b) => a.threads - b.threads)
    .find((t) => t.itemsPerSecond >= best.itemsPerSecond / (1 + tolerance));
  return fewest ?? best;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * Times `run(threads)` (one probe of `items` items) for every candidate, round-robin, after one
 * untimed warm-up each, and picks. Never throws: a failing or nonsensical timing gives a
 * 'fallback' choice of `fallbackThreads` (the session that is already open and known to work).
 */
export async function calibrateThreads(
  candidates: readonly number[],
  items: number,
  run: (threads: number) => Promise<unknown>,
  fallbackThreads: number,
  options: CalibrationOptions = {},
): Promise<ThreadChoice> {
  const { budgetMs, minRounds, maxRounds, tolerance, looks } = { ...CALIBRATION_DEFAULTS, ...options };
  const now = options.now ?? (() => performance.now());
  if (candidates.length <= 1) {
    const threads = candidates[0] ?? 1;
    return {
      threads,
      source: 'single-cpu',
      reason: `${threads} CPU available to this process: nothing to measure`,
      trials: [],
    };
  }
  try {
    for (const t of candidates) await run(t); // warm-up: the first run plans and allocates
    const times = new Map<number, number[]>(candidates.map((t) => [t, []]));
    const started = now();
    const othersAtStart = options.othersBusyMs?.();
    const medians = () =>
      candidates.map((threads) => ({
        threads,
        itemsPerSecond: (items * 1000) / median(times.get(threads)!),
      }));
    let trials: ThreadTrial[] = [];
    let chosen: ThreadTrial | undefined;
    let passes = 0;
    while (passes < Math.max(1, looks) && (chosen === undefined || closeCall(chosen, trials, tolerance))) {
      const passStart = now();
      for (let round = 0; round < maxRounds; round += 1) {
        if (round >= minRounds && now() - passStart > budgetMs) break;
        for (const t of candidates) {
          const t0 = now();
          await run(t);
          times.get(t)!.push(now() - t0);
        }
      }
      passes += 1;
      trials = medians();
      chosen = pickThreads(trials, tolerance);
    }
    const elapsed = now() - started;
    const others =
      othersAtStart === undefined || !(elapsed > 0)
        ? undefined
        : Math.max(0, (options.othersBusyMs!() - othersAtStart) / elapsed);
    if (chosen === undefined) throw new Error('no timing pass ran');
    const otherCpus = others === undefined || !Number.isFinite(others) ? undefined : others;
    const load =
      otherCpus !== undefined && otherCpus >= 0.05
        ? `; other processes kept ${otherCpus.toFixed(2)} CPUs busy meanwhile`
        : '';
    const again =
      passes > 1 ? `; within ${Math.round(tolerance * 100)}% at first, so timed ${passes} times` : '';
    return {
      threads: chosen.threads,
      source: 'measured',
      reason: describeTrials(chosen, trials) + again + load,
      trials,
      ...(otherCpus === undefined ? {} : { otherCpus }),
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      threads: fallbackThreads,
      source: 'fallback',
      reason: `calibration failed (${why}); using ${fallbackThreads}`,
      trials: [],
    };
  }
}

/** "2 threads: 41.3/s (1: 22.0/s)". */
export function describeTrials(chosen: ThreadTrial, trials: readonly ThreadTrial[]): string {
  const others = trials
    .filter((t) => t.threads !== chosen.threads)
    .map((t) => `${t.threads}: ${t.itemsPerSecond.toFixed(1)}/s`);
  const unit = chosen.threads === 1 ? 'thread' : 'threads';
  return `${chosen.threads} ${unit} ${chosen.itemsPerSecond.toFixed(1)}/s${others.length ? ` (${others.join(', ')})` : ''}`;
}
