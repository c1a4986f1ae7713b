/**
 * Which file of a duplicate group to keep, and why:
 *   1. the most pixels;
 *   2. among files of the same format, the least compressed (most bytes per pixel): a JPEG at
 *      quality 95 holds more of the picture than the same JPEG at 60. Bytes per pixel are NOT
 *      compared across formats: a PNG made from a JPEG is bigger but holds no more of the picture
 *      than the JPEG it was made from, so "bigger" there says nothing about quality;
 *   3. the oldest (capture date when the photo carries one, else file time): a copy, re-encode or
 *      export is made after its original, so between formats the older file is the original;
 *   4. when dates can't tell, a lossless file over a lossy one (it can hold no less of the
 *      picture: whichever was first, nothing is lost by keeping it);
 *   5. the lowest id, so the answer is stable.
 */
import type { ImageSignature } from '../store/library.types.ts';

export interface KeepChoice {
  readonly keep: ImageSignature;
  readonly reason: string;
}

const LOSSLESS = new Set(['png', 'gif', 'bmp', 'tiff', 'tif', 'pnm', 'ppm']);

const pixels = (s: ImageSignature): number => (s.width ?? 0) * (s.height ?? 0);
const bytesPerPixel = (s: ImageSignature): number => (pixels(s) > 0 ? (s.size ?? 0) / pixels(s) : 0);
const age = (s: ImageSignature): number => s.takenAtMs ?? s.mtimeMs ?? Number.POSITIVE_INFINITY;
const lossless = (s: ImageSignature): boolean => LOSSLESS.has((s.format ?? '').toLowerCase());
const byId = (a: ImageSignature, b: ImageSignature): number => a.id - b.id;

export function chooseKeep(members: readonly ImageSignature[]): KeepChoice {
  if (members.length === 0) throw new Error('chooseKeep: empty group');
  const most = Math.max(...members.map(pixels));
  const biggest = members.filter((s) => pixels(s) === most).sort(byId);
  if (members.length === 1) return { keep: members[0]!, reason: 'only member' };
  if (biggest.length === 1) {
    const keep = biggest[0]!;
    return { keep, reason: `most pixels (${keep.width}×${keep.height})` };
  }
  // 2. Best of each format.
  const byFormat = new Map<string, ImageSignature[]>();
  for (const s of biggest) {
    const f = (s.format ?? '').toLowerCase();
    byFormat.set(f, [...(byFormat.get(f) ?? []), s]);
  }
  const champions = [...byFormat.values()].map(
    (list) =>
      [...list].sort((a, b) => bytesPerPixel(b) - bytesPerPixel(a) || age(a) - age(b) || byId(a, b))[0]!,
  );
  if (champions.length === 1) {
    const sorted = [...biggest].sort(
      (a, b) => bytesPerPixel(b) - bytesPerPixel(a) || age(a) - age(b) || byId(a, b),
    );
    const keep = sorted[0]!;
    const runnerUp = sorted[1]!;
    if (bytesPerPixel(keep) > bytesPerPixel(runnerUp)) {
      return {
        keep,
        reason: `same pixels and format; least compressed (${bytesPerPixel(keep).toFixed(2)} bytes/pixel)`,
      };
    }
    if (age(keep) < age(runnerUp)) {
      return { keep, reason: `same pixels and compression; oldest (${when(keep)})` };
    }
    return { keep, reason: 'identical by pixels, compression and date; lowest id' };
  }
  // 3–5. Across formats.
  const sorted = [...champions].sort(
    (a, b) => age(a) - age(b) || Number(lossless(b)) - Number(lossless(a)) || byId(a, b),
  );
  const keep = sorted[0]!;
  const runnerUp = sorted[1]!;
  if (age(keep) < age(runnerUp)) {
    return { keep, reason: `same pixels; oldest, so the original (${when(keep)})` };
  }
  if (lossless(keep) && !lossless(runnerUp)) {
    return {
      keep,
      reason: `same pixels and date; lossless (${keep.format}) over lossy (${runnerUp.format})`,
    };
  }
  return { keep, reason: 'identical by pixels, compression and date; lowest id' };
}

function when(s: ImageSignature): string {
  return `${s.takenAtMs !== undefined && s.takenAtMs !== null ? 'taken' : 'file time'} ${new Date(age(s)).toISOString()}`;
}
