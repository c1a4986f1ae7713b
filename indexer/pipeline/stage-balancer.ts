/**
 * Balances decode workers against the encoder from what the run observes, not from the CPU
 * topology. Each window (about a second of batches) it compares the stages:
 *   - the encoder waited for decoded images and the decoders were busy → decode-bound: one more worker;
 *   - the encoder never waited and the decoders idled → encode-bound: one fewer, so the CPU goes
 *     to the encoder's threads (which sleep rather than spin while indexing, see index.command.ts).
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
}

const DEFAULTS = { windowMs: 1000, starved: 0.15, saturated: 0.7, fed: 0.05, idle: 0.5 } as const;

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
    const decoding = (c.decodeBusyMs - mark.decodeBusyMs) / (wall * this.#active);
    let to = this.#active;
    let why = '';
    if (waiting > this.#o.starved && decoding > this.#o.saturated && this.#active < this.max) {
      to = this.#active + 1;
      why = `decode-bound: encoder waited ${pct(waiting)}, decoders ${pct(decoding)} busy`;
    } else if (waiting < this.#o.fed && decoding < this.#o.idle && this.#active > this.min) {
      to = this.#active - 1;
      why = `encode-bound: encoder waited ${pct(waiting)}, decoders ${pct(decoding)} busy`;
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
    const moves = this.#steps.length
      ? this.#steps
          .map((st) => `${st.from}→${st.to} at ${(st.atMs / 1000).toFixed(1)}s (${st.why})`)
          .join('; ')
      : `kept ${this.#initial} (within ${this.min}–${this.max})`;
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
