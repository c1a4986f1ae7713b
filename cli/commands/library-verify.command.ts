/**
 * `clipdex library verify --library <dir> [--json]`: the full integrity check opening skips —
 * every byte of every sealed segment against its recorded sha256 and hnswlib's layout, and every
 * segment label against SQLite. Read-only. Exits 1 when anything is wrong; `clipdex library
 * compact` then rebuilds the segments from SQLite.
 */
import path from 'node:path';
import { openLibrary } from '../../src/store/open-library.ts';
import { fullDigest } from '../../src/store/segment-files.ts';
import { ExitError, writeJson, writeLine, type CommandContext } from '../command-context.ts';

export interface LibraryVerifyArgs {
  readonly library: string;
  readonly json?: boolean;
}

export async function run(args: LibraryVerifyArgs, ctx: CommandContext): Promise<void> {
  const dir = path.resolve(ctx.cwd, args.library);
  const library = await openLibrary(dir, { readOnly: true });
  const problems: string[] = [...library.warnings];
  let checked = 0;
  let bytes = 0;
  try {
    for (const segment of library.segmentFiles()) {
      const name = path.basename(segment.file);
      const digest = await fullDigest(segment.file).catch((error: unknown) => ({
        error: error instanceof Error ? error.message : String(error),
      }));
      checked++;
      if ('error' in digest) {
        problems.push(`${name}: ${digest.error}`);
        continue;
      }
      bytes += digest.bytes;
      if (digest.bytes !== segment.bytes) {
        problems.push(`${name}: ${digest.bytes} bytes, the manifest says ${segment.bytes}`);
      } else if (digest.sha256 !== segment.sha256) {
        problems.push(`${name}: contents differ from the sha256 recorded when it was sealed`);
      } else if (!digest.complete) problems.push(`${name}: the HNSW layout is incomplete`);
      if (segment.labelList) {
        const list = await fullDigest(segment.labelList.file).catch(() => undefined);
        if (list?.sha256 !== segment.labelList.sha256) {
          problems.push(
            `${path.basename(segment.labelList.file)}: label list missing or changed since it was sealed`,
          );
        }
      }
      const stale = segment.labels.filter(
        (id) => library.getVector(id) === undefined || library.getItem(id)?.status !== 'indexed',
      );
      if (stale.length > 0) {
        problems.push(
          `${name}: ${stale.length} vectors of items that are not indexed in the database (e.g. ${stale.slice(0, 5).join(', ')})`,
        );
      }
    }
    for (const k of library.info().kinds) {
      if (k.live !== k.vectorsInDatabase) {
        problems.push(`${k.kind}: ${k.live} vectors searchable, ${k.vectorsInDatabase} live in the database`);
      }
    }
  } finally {
    await library.close();
  }
  const ok = problems.length === 0;
  if (args.json) writeJson(ctx.stdout, { library: dir, ok, segments: checked, bytes, problems });
  else {
    writeLine(
      ctx.stdout,
      `library ${dir}: ${checked} segment${checked === 1 ? '' : 's'} (${bytes} bytes) checked in full`,
    );
    for (const p of problems) writeLine(ctx.stdout, `  problem: ${p}`);
    writeLine(
      ctx.stdout,
      ok ? '  ok' : '  run `clipdex library compact` to rebuild the segments from the database',
    );
  }
  if (!ok) throw new ExitError(1, '');
}
