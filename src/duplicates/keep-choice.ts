/**
 * Which file of a duplicate group to keep, and why: the most pixels, then the least compressed
 * (most bytes per pixel), then the oldest (capture date when known, else file time), then the
 * lowest id so the answer is stable.
 */
import type { ImageSignature } from '../store/library.types.ts';

export interface KeepChoice {
  readonly keep: ImageSignature;
  readonly reason: string;
}

const pixels = (s: ImageSignature): number => (s.width ?? 0) * (s.height ?? 0);
const bytesPerPixel = (s: ImageSignature): number => (pixels(s) > 0 ? (s.size ?? 0) / pixels(s) : 0);
const age = (s: ImageSignature): number => s.mtimeMs ?? Number.POSITIVE_INFINITY;

export function chooseKeep(members: readonly ImageSignature[]): KeepChoice {
  const sorted = [...members].sort(
    (a, b) => pixels(b) - pixels(a) || bytesPerPixel(b) - bytesPerPixel(a) || age(a) - age(b) || a.id - b.id,
  );
  const keep = sorted[0]!;
  const runnerUp = sorted[1];
  if (!runnerUp) return { keep, reason: 'only member' };
  if (pixels(keep) > pixels(runnerUp)) return { keep, reason: `most pixels (${keep.width}×${keep.height})` };
  if (bytesPerPixel(keep) > bytesPerPixel(runnerUp)) {
    return { keep, reason: `same pixels; least compressed (${bytesPerPixel(keep).toFixed(2)} bytes/pixel)` };
  }
  if (age(keep) < age(runnerUp)) {
    return { keep, reason: `same pixels and compression; oldest (${new Date(age(keep)).toISOString()})` };
  }
  return { keep, reason: 'identical by pixels, compression and date; lowest id' };
}
