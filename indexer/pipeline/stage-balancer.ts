/**
 * Balances decode workers against the encoder from what the run observes, not from the CPU
 * topology. Each window (about a second of batches) it compares the stages:
 *   - the encoder waited for decoded images and the decoders were busy → decode-bound: one more worker;
 *   - the encoder never waited and the decoders idled → encode-bound: one fewer, so the CPU goes
 *     to the encoder's threads (which sleep rather than spin while indexing, see index.command.ts).
 * Zero workers (when `min` is 0) means decoding on the main thread: sharp decodes there on
 * libuv's threads, so big photos use every CPU without workers, and a worker would only add its
 * start-up (~0.3 CPU-s) and a copy of every file. From there it starts workers (two, or `max`)
 * only when, two windows running after the encoder's first batch, the encoder waits on a main
 * thread that is itself busy with the JavaScript half of preprocessing (small images, 'exact'),
 * and only when the process gets about a CPU or more: it
 * goes back to the main thread when two windows in a row show it getting under 0.8 of a CPU
 * (a loaded machine), where workers cannot run in parallel anyway.
 * Pure bookkeeping over cumulative counters, so it is tested without threads or clocks.
 */

/** Cumulative counters since the run started. */
export interface StageCounters {
  readonly nowMs: number;
  /** Time inside the encoders. */
  readonly encodeMs: number;
  /** Time the encoder stage waited for the next unit from the decoders. */
  readonly waitMs: number;
  /** Summed over decode workers: time each held work. */
  readonly decodeBusyMs: number;
  readonly decoded: number;
  readonly encoded: number;
  /** Main thread's event-loop active time (includes the encoder's runs, which block it). */
  readonly mainBusyMs?: number;
  /** CPU time of the whole process, every thread. */
  readonly cpuMs?: number;
}

export interface BalanceStep {
  readonly atMs: number;
  readonly from: number;
  readonly to: number;
  readonly why: string;
}

export interface BalanceReport {
  readonly initial: number;
  readonly final: number;
  readonly min: number;
  readonly max: number;
  readonly steps: readonly BalanceStep[];
  /** Images per second of encoder time, and per second of one busy decode worker, over the run. */
  readonly encodeImagesPerSecond: number | undefined;
  readonly decodeImagesPerWorkerSecond: number | undefined;
  /** One line for the summary. */
  readonly reason: string;
}

export interface BalancerOptions {
  readonly windowMs?: number;
  /** Encoder waiting more than this share of a window counts as starved. */
  readonly starved?: number;
  /** Decoders busier than this share count as saturated. */
  readonly saturated?: number;
  /** Encoder waiting less than this share, and decoders busy less than `idle`, count as encode-bound. */
  readonly fed?: number;
  readonly idle?: number;
  /** With no workers: the main thread busy more than this share of the time outside the encoder is saturated. */
  readonly mainSaturated?: number;
  /** Starting workers needs at least this many CPUs in effect (process CPU-s ÷ wall). */
  readonly minCpus?: number;
  /** Below this many CPUs in effect, two windows running, decoding goes back to the main thread. */
  readonly lowCpus?: number;
}

const DEFAULTS = {
  windowMs: 1000,
  starved: 0.15,
  saturated: 0.7,
  fed: 0.05,
  idle: 0.5,
  mainSaturated: 0.6,
  minCpus: 0.95,
  lowCpus: 0.8,
} as const;

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const rate = (n: number, ms: number): number | undefined => (ms > 0 && n > 0 ? (n * 1000) / ms : undefined);

export class StageBalancer {
  readonly #o: Required<BalancerOptions>;
  readonly #steps: BalanceStep[] = [];
  readonly #initial: number;
  #active: number;
  #start: StageCounters | undefined;
  #mark: StageCounters | undefined;
  #last: StageCounters | undefined;
  #lowWindows = 0;
  #mainWindows = 0;

  constructor(
    readonly min: number,
    readonly max: number,
    initial: number,
    options: BalancerOptions = {},
  ) {
    this.#o = { ...DEFAULTS, ...options };
    this.#initial = this.#active = Math.max(min, Math.min(max, initial));
  }

  get active(): number {
    return this.#active;
  }

  /** Feeds the counters; returns the new worker count when it should change. */
  observe(c: StageCounters): number | undefined {
    this.#last = c;
    this.#start ??= c;
    const mark = (this.#mark ??= c);
    const wall = c.nowMs - mark.nowMs;
    if (wall < this.#o.windowMs) return undefined;
    this.#mark = c;
    const waiting = (c.waitMs - mark.waitMs) / wall;
    const cpus =
      c.cpuMs === undefined || mark.cpuMs === undefined ? undefined : (c.cpuMs - mark.cpuMs) / wall;
    this.#lowWindows = cpus !== undefined && cpus < this.#o.lowCpus ? this.#lowWindows + 1 : 0;
    let to = this.#active;
    let why = '';
    if (this.#active === 0) {
      // Decoding on the main thread: workers help only when its JavaScript is the bottleneck,
      // i.e. the main thread stayed busy for most of the time it was not running the encoder.
      const encoding = c.encodeMs - mark.encodeMs;
      const main =
        c.mainBusyMs === undefined || mark.mainBusyMs === undefined || wall - encoding <= 0
          ? undefined
          : (c.mainBusyMs - mark.mainBusyMs - encoding) / (wall - encoding);
      // Not while the pipeline fills: before the first batch the encoder always waits and the main
      // thread is busy starting up (discovery, first reads, compiling), which workers do not speed up.
      const saturated =
        mark.encodeMs > 0 &&
        waiting > this.#o.starved &&
        main !== undefined &&
        main > this.#o.mainSaturated &&
        (cpus === undefined || cpus >= this.#o.minCpus);
      this.#mainWindows = saturated ? this.#mainWindows + 1 : 0;
      if (this.#mainWindows >= 2 && this.max > 0) {
        to = Math.min(this.max, 2);
        why = `main thread busy ${pct(main ?? 0)} preprocessing, encoder waited ${pct(waiting)}`;
      }
    } else if (this.min === 0 && this.#lowWindows >= 2) {
      to = 0;
      why = `${cpus!.toFixed(2)} CPUs in effect: decoding on the main thread`;
    } else {
      const decoding = (c.decodeBusyMs - mark.decodeBusyMs) / (wall * this.#active);
      if (waiting > this.#o.starved && decoding > this.#o.saturated && this.#active < this.max) {
        to = this.#active + 1;
        why = `decode-bound: encoder waited ${pct(waiting)}, decoders ${pct(decoding)} busy`;
      } else if (waiting < this.#o.fed && decoding < this.#o.idle && this.#active > this.min) {
        to = this.#active - 1;
        why = `encode-bound: encoder waited ${pct(waiting)}, decoders ${pct(decoding)} busy`;
      }
    }
    if (to === this.#active) return undefined;
    this.#steps.push({ atMs: c.nowMs - (this.#start?.nowMs ?? c.nowMs), from: this.#active, to, why });
    this.#active = to;
    return to;
  }

  report(): BalanceReport {
    const s = this.#start;
    const c = this.#last;
    const enc = s && c ? rate(c.encoded - s.encoded, c.encodeMs - s.encodeMs) : undefined;
    const dec = s && c ? rate(c.decoded - s.decoded, c.decodeBusyMs - s.decodeBusyMs) : undefined;
    const rates = `encoder ${enc?.toFixed(1) ?? '-'} images/s of encode time, ${dec?.toFixed(1) ?? '-'} per busy decode worker`;
    const count = (n: number): string => (n === 0 ? '0 (main thread)' : String(n));
    const moves = this.#steps.length
      ? this.#steps
          .map((st) => `${st.from}→${st.to} at ${(st.atMs / 1000).toFixed(1)}s (${st.why})`)
          .join('; ')
      : `kept ${count(this.#initial)} (within ${this.min}–${this.max})`;
    return {
      initial: this.#initial,
      final: this.#active,
      min: this.min,
      max: this.max,
      steps: [...this.#steps],
      encodeImagesPerSecond: enc,
      decodeImagesPerWorkerSecond: dec,
      reason: `${moves}; ${rates}`,
    };
  }
}
