/** `clipdex failures --library <dir>`: the files that could not be indexed, and why. */
import path from 'node:path';
import { openLibrary } from '../../src/store/open-library.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';
import { positiveInt } from '../cli-support/open-model.ts';

export interface FailuresArgs {
  readonly library: string;
  readonly limit?: string;
  readonly json?: boolean;
}

export async function run(args: FailuresArgs, ctx: CommandContext): Promise<void> {
  const dir = path.resolve(ctx.cwd, args.library);
  const limit = args.limit === undefined ? 1000 : positiveInt(args.limit, '--limit');
  const library = await openLibrary(dir, { readOnly: true, create: false });
  try {
    const failures = library.listFailed(limit).map((item) => ({
      id: item.id,
      kind: item.kind,
      uri: item.uri,
      path: library.resolvePath(item),
      error: item.error,
      size: item.size,
    }));
    if (args.json) return writeJson(ctx.stdout, { failures });
    if (failures.length === 0) return writeLine(ctx.stdout, 'no failed items');
    for (const f of failures) writeLine(ctx.stdout, `${f.path ?? f.uri}\n    ${f.error ?? 'unknown error'}`);
    writeLine(
      ctx.stdout,
      `${failures.length} failed item${failures.length === 1 ? '' : 's'}; \`clipdex index --retry-failed\` tries them again`,
    );
  } finally {
    await library.close();
  }
}
