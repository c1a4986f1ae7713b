/**
 * `clipdex duplicates --library <dir> [--tier exact|near|similar] [--json]`: groups of the same
 * bytes, the same picture (perceptual hash + embedding), and similar shots (embedding only,
 * never called duplicates), each with the file to keep and why. Loads no model. Opens the library
 * for writing when it can, to store the neighbour pairs of images no index run linked yet (so
 * the next scan needs no k-NN pass) and, with --backfill, hashes and fingerprints of images
 * indexed before those existed; while another process writes, it scans read-only.
 */
import path from 'node:path';
import { DUPLICATE_TIERS, type DuplicateTier } from '../../src/duplicates/duplicate.types.ts';
import { resolveThresholds } from '../../src/duplicates/duplicate-thresholds.ts';
import { findDuplicatesParallel } from '../../src/duplicates/find-duplicates.ts';
import { EngineError } from '../../src/errors.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { isEngineError } from '../../src/errors.ts';
import { backfillSignatures } from '../../src/duplicates/backfill.ts';
import { linkUnlinkedParallel } from '../../src/duplicates/neighbour-links.ts';
import { NeighbourPool } from '../../src/duplicates/neighbour-pool.ts';
import type { LibraryStore } from '../../src/store/library-store.ts';
import { writeLine, type CommandContext } from '../command-context.ts';

export interface DuplicatesArgs {
  readonly library: string;
  readonly tier?: string;
  readonly json?: boolean;
  readonly nearDistance?: string;
  readonly nearMinScore?: string;
  readonly nearMinMatch?: string;
  readonly similarMinScore?: string;
  readonly similarMaxPalette?: string;
  readonly backfill?: boolean;
  readonly workers?: string;
}

const TITLES: Record<DuplicateTier, string> = {
  exact: 'exact duplicates (same bytes)',
  near: 'near duplicates (the same picture: re-encoded, resized, cropped, rotated or recoloured)',
  similar: 'similar, not duplicates (different shots of the same scene)',
};

export async function run(args: DuplicatesArgs, ctx: CommandContext): Promise<void> {
  const tier = args.tier as DuplicateTier | undefined;
  if (tier !== undefined && !DUPLICATE_TIERS.includes(tier)) {
    throw new EngineError('INVALID_INPUT', `--tier must be one of ${DUPLICATE_TIERS.join(', ')}`);
  }
  const num = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new EngineError('INVALID_INPUT', `${flag} must be a number`);
    return n;
  };
  const thresholds = resolveThresholds({
    nearMaxDistance: num(args.nearDistance, '--near-distance'),
    nearMinCosine: num(args.nearMinScore, '--near-min-score'),
    nearMinMatch: num(args.nearMinMatch, '--near-min-match'),
    similarMinCosine: num(args.similarMinScore, '--similar-min-score'),
    similarMaxPalette: num(args.similarMaxPalette, '--similar-max-palette'),
  } as never);
  const workers = num(args.workers, '--workers');
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) {
    throw new EngineError('INVALID_INPUT', '--workers must be a whole number from 1 to 64');
  }
  const dir = path.resolve(ctx.cwd, args.library);
  let library: LibraryStore;
  let writable = true;
  try {
    library = await openLibrary(dir, { create: false });
  } catch (error) {
    if (!isEngineError(error, 'LIBRARY_BUSY') || args.backfill) throw error;
    library = await openLibrary(dir, { readOnly: true, create: false });
    writable = false;
  }
  // Threads for the k-NN pass, started only when a scan has thousands of images to query.
  const pool = new NeighbourPool(library.dir, workers === undefined ? {} : { workers });
  try {
    let backfill: { filled: number; failed: number } | undefined;
    if (args.backfill) {
      backfill = await backfillSignatures(library, { signal: ctx.signal });
      if (!args.json) {
        writeLine(
          ctx.stdout,
          `backfill: ${backfill.filled} image(s) got a perceptual hash and fingerprint${backfill.failed ? `; ${backfill.failed} could not be read or decoded` : ''}`,
        );
      }
    }
    const linkQueries = writable ? await linkUnlinkedParallel(library, pool) : 0;
    const report = await findDuplicatesParallel(library, thresholds, pool, tier ? [tier] : undefined);
    if (args.json) {
      const body = {
        groups: report.groups.map((g) => ({ tier: g.tier, keep: g.keep, reason: g.reason, items: g.items })),
        images: report.images,
        withoutHash: report.withoutHash,
        withoutFingerprint: report.withoutFingerprint,
        knnQueries: linkQueries + report.knnQueries,
        ...(backfill ? { backfill } : {}),
        failedToDecode: library.counts('image').failed,
      };
      // Large reports to a pipe: wait until written, the entry file exits right after.
      await new Promise<void>((resolve, reject) =>
        ctx.stdout.write(`${JSON.stringify(body, null, 2)}\n`, (e) => (e ? reject(e) : resolve())),
      );
      return;
    }
    for (const t of tier ? [tier] : DUPLICATE_TIERS) {
      const groups = report.groups.filter((g) => g.tier === t);
      writeLine(ctx.stdout, `${TITLES[t]}: ${groups.length} group${groups.length === 1 ? '' : 's'}`);
      for (const g of groups) {
        writeLine(ctx.stdout, `  keep ${g.items[0]!.uri}  (${g.reason})`);
        for (const m of g.items.slice(1)) writeLine(ctx.stdout, `       ${m.uri}  distance ${m.distance}`);
      }
    }
    const failed = library.counts('image').failed;
    if (failed > 0) {
      writeLine(
        ctx.stdout,
        `${failed} image file(s) failed to decode: they have no hash and no tags and are in no group (\`clipdex failures\` says why)`,
      );
    }
    if (report.withoutFingerprint > report.withoutHash) {
      writeLine(
        ctx.stdout,
        `${report.withoutFingerprint} of ${report.images} images have no fingerprint (indexed before fingerprints existed): their near groups rest on hash and embedding alone; \`clipdex duplicates --backfill\` adds them`,
      );
    }
    if (report.withoutHash > 0) {
      writeLine(
        ctx.stdout,
        `${report.withoutHash} of ${report.images} images have no perceptual hash (indexed before hashing existed): only exact and similar apply to them`,
      );
    }
  } finally {
    await pool.close();
    await library.close();
  }
}
