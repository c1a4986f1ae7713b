/**
 * `clipdex library info --library <dir> [--json]`: per modality the sealed segments (count,
 * deleted, bytes) and the tail, the model (name, id, the directory it was loaded from), the schema
 * version, and any segment the store had to drop and rebuild. Opens read-only: safe beside
 * `clipdex index` and `clipdex serve`; loads no model.
 */
import path from 'node:path';
import { openLibrary } from '../../src/store/open-library.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';

export interface LibraryInfoArgs {
  readonly library: string;
  readonly json?: boolean;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export async function run(args: LibraryInfoArgs, ctx: CommandContext): Promise<void> {
  const dir = path.resolve(ctx.cwd, args.library);
  const library = await openLibrary(dir, { readOnly: true });
  try {
    const info = library.info();
    const now = new Date().toISOString();
    // What this open found (a reader repairs in memory only) and what the writer recorded.
    const warnings = [
      ...info.warnings,
      ...library.warnings
        .filter((m) => !info.warnings.some((w) => w.message === m))
        .map((message) => ({ at: now, kind: null, message })),
    ];
    if (args.json) return writeJson(ctx.stdout, { ...info, warnings });
    writeLine(ctx.stdout, `library ${info.dir}`);
    writeLine(ctx.stdout, `  schema  version ${info.schemaVersion}`);
    const m = info.model;
    writeLine(
      ctx.stdout,
      `  model   ${m.name} (id ${m.id}, ${m.dim}-d)${m.dir ? `, loaded from ${m.dir}` : ''}`,
    );
    for (const k of info.kinds) {
      const deleted = k.segments.reduce((n, s) => n + s.deleted, 0);
      writeLine(
        ctx.stdout,
        `  ${k.kind.padEnd(6)}  ${k.indexed} indexed: ${k.segments.length} segment${k.segments.length === 1 ? '' : 's'} ` +
          `(${k.segments.reduce((n, s) => n + s.count, 0)} vectors, ${deleted} deleted, ${mb(k.bytes)}) + tail ${k.tail}`,
      );
      for (const s of k.segments) {
        writeLine(
          ctx.stdout,
          `            ${s.file}  ${s.count} vectors, ${s.deleted} deleted, ${mb(s.bytes)}`,
        );
      }
    }
    if (info.backgroundError) {
      writeLine(ctx.stdout, `  last background seal/merge error: ${info.backgroundError}`);
    }
    for (const w of warnings) writeLine(ctx.stdout, `  warning (${w.at}): ${w.message}`);
  } finally {
    await library.close();
  }
}
