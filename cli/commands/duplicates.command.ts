/**
 * `clipdex duplicates --library <dir> [--tier exact|near|similar] [--json]`: groups of the same
 * bytes, the same picture (perceptual hash + embedding), and similar shots (embedding only,
 * never called duplicates), each with the file to keep and why. Read-only; loads no model.
 */
import path from 'node:path';
import { DUPLICATE_TIERS, type DuplicateTier } from '../../src/duplicates/duplicate.types.ts';
import { resolveThresholds } from '../../src/duplicates/duplicate-thresholds.ts';
import { findDuplicates } from '../../src/duplicates/find-duplicates.ts';
import { EngineError } from '../../src/errors.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { writeLine, type CommandContext } from '../command-context.ts';

export interface DuplicatesArgs {
  readonly library: string;
  readonly tier?: string;
  readonly json?: boolean;
  readonly nearDistance?: string;
  readonly nearMinScore?: string;
  readonly similarMinScore?: string;
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
    similarMinCosine: num(args.similarMinScore, '--similar-min-score'),
  } as never);
  const library = await openLibrary(path.resolve(ctx.cwd, args.library), { readOnly: true, create: false });
  try {
    const report = findDuplicates(library, thresholds, tier ? [tier] : undefined);
    if (args.json) {
      const body = {
        groups: report.groups.map((g) => ({ tier: g.tier, keep: g.keep, reason: g.reason, items: g.items })),
        images: report.images,
        withoutHash: report.withoutHash,
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
    if (report.withoutHash > 0) {
      writeLine(
        ctx.stdout,
        `${report.withoutHash} of ${report.images} images have no perceptual hash (indexed before hashing existed): only exact and similar apply to them`,
      );
    }
  } finally {
    await library.close();
  }
}
