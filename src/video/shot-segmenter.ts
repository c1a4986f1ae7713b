/**
 * Splits a stream of sampled frames into shots (pure logic; ffmpeg lives elsewhere).
 *  - hard cuts: the frame difference between consecutive samples jumps over `cutThreshold`;
 *    when samples are far apart (keyframes only) the cut is located precisely by `refine`,
 *    which decodes just that interval at full rate;
 *  - gradual transitions (cross-fades, dissolves): the difference to the sample `window`
 *    seconds back peaks over `gradualThreshold` while consecutive differences stay small (the
 *    twin-comparison idea of Zhang et al. 1993); the boundary is the middle of the transition;
 *  - a boundary closer than `minShot` to the previous one is ignored (flashes, fast edits);
 *    a shot longer than `maxShot` is split, so long static shots get a keyframe every maxShot.
 * Each shot keeps the sampled frame nearest its middle as its keyframe. Memory is bounded by the
 * samples of the shot in progress, which maxShot bounds.
 */
import type { SampledFrame } from './frame-sampler.ts';

export interface SegmenterOptions {
  readonly minShot: number;
  readonly maxShot: number;
  /** A difference over this is a cut whatever came before. */
  readonly cutThreshold: number;
  /** Over `cutMin` and `ratio` × the median of recent differences is a cut too (quiet footage). */
  readonly cutMin: number;
  readonly gradualThreshold: number;
  readonly gradualMin: number;
  readonly ratio: number;
  /** Seconds looked back for gradual transitions. */
  readonly window: number;
  /** Samples further apart than this get their cut located by `refine`. */
  readonly refineGap: number;
}

export const DEFAULT_SEGMENTER: SegmenterOptions = {
  minShot: 1,
  maxShot: 10,
  cutThreshold: 0.09,
  cutMin: 0.015,
  gradualThreshold: 0.14,
  gradualMin: 0.015,
  ratio: 5,
  window: 1.25,
  refineGap: 0.5,
};

export interface Shot {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** The sample nearest the middle of the shot, if one fell inside it. */
  readonly keyframe: SampledFrame | undefined;
}

/** Exact time of a cut between two samples, or undefined to keep the estimate. */
export type RefineCut = (from: number, to: number) => Promise<number | undefined>;

interface Sample {
  readonly frame: SampledFrame;
  readonly features: Float32Array;
}

export class ShotSegmenter {
  #start = 0;
  /** Samples of the shot in progress (and of the pending transition). */
  #samples: Sample[] = [];
  #last: Sample | undefined;
  #pending: { time: number; score: number; seen: number } | undefined;
  #held: Shot | undefined;
  #index = 0;
  #lastT = 0;
  /** Recent consecutive and window differences inside shots: the footage's own noise level. */
  readonly #recent = new RecentLevel(16, 0.002);
  readonly #recentWindow = new RecentLevel(16, 0.003);

  constructor(
    private readonly options: SegmenterOptions = DEFAULT_SEGMENTER,
    private readonly refine?: RefineCut,
  ) {}

  /** Adds the next sample (in time order); returns the shots it completed. */
  async push(frame: SampledFrame): Promise<Shot[]> {
    const o = this.options;
    const sample: Sample = { frame, features: frameFeatures(frame) };
    const prev = this.#last;
    this.#last = sample;
    this.#lastT = frame.t;
    const out: Shot[] = [];
    if (prev) {
      const d = frameDifference(prev.features, sample.features);
      const isCut = d > o.cutThreshold || (d > o.cutMin && d > o.ratio * this.#recent.level);
      if (!isCut) this.#recent.add(d);
      if (isCut && frame.t - this.#start >= o.minShot) {
        let at = frame.t - Math.min(frame.t - prev.frame.t, 0.25) / 2;
        if (frame.t - prev.frame.t > o.refineGap && this.refine) {
          at = (await this.refine(prev.frame.t, frame.t)) ?? at;
        }
        this.#pending = undefined;
        if (at - this.#start >= o.minShot * 0.5) out.push(...this.#close(at));
      } else {
        this.#gradual(frame.t, sample, out);
      }
    }
    this.#samples.push(sample);
    while (!this.#pending && frame.t - this.#start >= o.maxShot) {
      out.push(...this.#close(this.#start + o.maxShot));
    }
    return out;
  }

  /** Ends the video at `end` seconds (its duration, or the last sample's time). */
  finish(end: number): Shot[] {
    const out: Shot[] = [];
    if (this.#pending) out.push(...this.#close(this.#pending.time));
    const stop = Math.max(end, this.#lastT, this.#start);
    const held = this.#held;
    if (held && stop - this.#start < this.options.minShot) {
      // Too short to stand alone: the last shot runs to the end.
      this.#held = undefined;
      out.push({
        ...held,
        end: stop,
        keyframe: held.keyframe ?? this.#nearest(this.#samples, (held.start + stop) / 2, held.start, stop),
      });
      return out;
    }
    if (stop > this.#start || !held) out.push(...this.#close(stop));
    if (this.#held) out.push(this.#held);
    this.#held = undefined;
    return out;
  }

  #gradual(t: number, sample: Sample, out: Shot[]): void {
    const o = this.options;
    // The sample about `window` seconds back, inside the current shot.
    let base: Sample | undefined;
    for (const s of this.#samples) {
      if (s.frame.t > t - o.window) break;
      base = s;
    }
    const pending = this.#pending;
    if (base && base.frame.t >= this.#start) {
      const dw = frameDifference(base.features, sample.features);
      const mid = (base.frame.t + t) / 2;
      const isTransition =
        dw > o.gradualThreshold || (dw > o.gradualMin && dw > o.ratio * this.#recentWindow.level);
      if (!isTransition && !pending) this.#recentWindow.add(dw);
      if (isTransition && (!pending || dw >= pending.score)) {
        this.#pending = { time: mid, score: dw, seen: t };
        return;
      }
    }
    if (pending && t - pending.seen >= o.window / 2) {
      this.#pending = undefined;
      if (pending.time - this.#start >= o.minShot) out.push(...this.#close(pending.time));
    }
  }

  /** Ends the shot in progress at `at`; the previous one is released (one shot is held back). */
  #close(at: number): Shot[] {
    const start = this.#start;
    const inShot = this.#samples.filter((s) => s.frame.t < at);
    this.#samples = this.#samples.filter((s) => s.frame.t >= at);
    const shot: Shot = {
      index: this.#index++,
      start,
      end: at,
      keyframe: this.#nearest(inShot, (start + at) / 2, start, at),
    };
    this.#start = at;
    const released = this.#held;
    this.#held = shot;
    return released ? [released] : [];
  }

  #nearest(samples: readonly Sample[], middle: number, start: number, end: number): SampledFrame | undefined {
    let best: Sample | undefined;
    for (const s of samples) {
      if (s.frame.t < start || s.frame.t >= end) continue;
      if (!best || Math.abs(s.frame.t - middle) < Math.abs(best.frame.t - middle)) best = s;
    }
    return best?.frame;
  }
}

/** Median of the last `size` values, never below `floor`. */
class RecentLevel {
  readonly #values: number[] = [];
  constructor(
    private readonly size: number,
    private readonly floor: number,
  ) {}
  add(value: number): void {
    this.#values.push(value);
    if (this.#values.length > this.size) this.#values.shift();
  }
  get level(): number {
    if (this.#values.length === 0) return 2 * this.floor;
    const sorted = [...this.#values].sort((a, b) => a - b);
    return Math.max(this.floor, sorted[sorted.length >> 1]!);
  }
}

const GRID = 8;
const BINS = 8;

/**
 * A small signature of a frame: the mean colour of an 8×8 grid of blocks (where things are)
 * and an 8-bin histogram per channel (what colours there are), all in [0, 1].
 */
export function frameFeatures(frame: { data: Uint8Array; width: number; height: number }): Float32Array {
  const { data, width, height } = frame;
  const out = new Float32Array(GRID * GRID * 3 + BINS * 3);
  const counts = new Float32Array(GRID * GRID);
  const step = Math.max(1, Math.floor(Math.min(width, height) / 64));
  let n = 0;
  for (let y = 0; y < height; y += step) {
    const gy = Math.min(GRID - 1, Math.floor((y * GRID) / height));
    for (let x = 0; x < width; x += step) {
      const gx = Math.min(GRID - 1, Math.floor((x * GRID) / width));
      const i = (y * width + x) * 3;
      const cell = gy * GRID + gx;
      counts[cell]! += 1;
      for (let c = 0; c < 3; c++) {
        const v = data[i + c]!;
        out[cell * 3 + c]! += v;
        out[GRID * GRID * 3 + c * BINS + (v >> 5)]! += 1;
      }
      n += 1;
    }
  }
  for (let cell = 0; cell < GRID * GRID; cell++) {
    for (let c = 0; c < 3; c++) out[cell * 3 + c]! /= 255 * Math.max(1, counts[cell]!);
  }
  for (let i = GRID * GRID * 3; i < out.length; i++) out[i]! /= Math.max(1, n);
  return out;
}

/** 0 for identical signatures, 1 for opposite: half block difference, half histogram distance. */
export function frameDifference(a: Float32Array, b: Float32Array): number {
  const cells = GRID * GRID * 3;
  let grid = 0;
  for (let i = 0; i < cells; i++) grid += Math.abs(a[i]! - b[i]!);
  let hist = 0;
  for (let i = cells; i < a.length; i++) hist += Math.abs(a[i]! - b[i]!);
  return 0.5 * (grid / cells) + 0.5 * (hist / 6);
}
