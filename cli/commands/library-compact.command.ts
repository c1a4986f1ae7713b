/**
 * `clipdex library compact --library <dir>`: rebuilds each HNSW graph from the vectors in
 * SQLite, dropping the slots of deleted items, saves it atomically and prints the counts.
 * Needs no model (nothing is re-encoded); takes the write lock, so not beside `clipdex index`.
 */
import path from 'node:path';
import { openLibrary } from '../../src/store/open-library.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';

export interface LibraryCompactArgs {
  readonly library: string;
  readonly json?: boolean;
}

export async function run(args: LibraryCompactArgs, ctx: CommandContext): Promise<void> {
  const dir = path.resolve(ctx.cwd, args.library);
  const library = await openLibrary(dir, { create: false });
  try {
    const reports = await library.compact();
    if (args.json) return writeJson(ctx.stdout, { library: dir, graphs: reports });
    writeLine(ctx.stdout, `library ${dir}`);
    for (const r of reports) {
      const reclaimed = r.slotsBefore - r.slotsAfter;
      writeLine(
        ctx.stdout,
        `${r.kind.padEnd(5)}  ${r.vectors} vector${r.vectors === 1 ? '' : 's'} in the graph, ${r.indexedInDatabase} in the database, ` +
          `${reclaimed} deleted slot${reclaimed === 1 ? '' : 's'} reclaimed (${(r.ms / 1000).toFixed(1)}s)`,
      );
    }
  } finally {
    await library.close();
  }
}
