/**
 * `clipdex demo` (what `npm run demo` runs): index the bundled demo corpus — emoji images with
 * English and Chinese captions — with the bundled model into `.demo-library/`, then serve it.
 * Indexing is incremental, so every run after the first only checks that nothing changed.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { isEngineError } from '../../src/errors.ts';
import { writeLine, type CommandContext } from '../command-context.ts';
import type { ModelArgs } from '../cli-support/open-model.ts';

export interface DemoArgs extends ModelArgs {
  readonly library?: string;
  readonly port?: string;
  readonly host?: string;
  /** false with --no-serve: index only (tests, CI). */
  readonly serve?: boolean;
}

export const DEMO_DIR = fileURLToPath(new URL('../../fixtures/demo/', import.meta.url));
/** Written into a library the demo built, so the demo may rebuild it (and nothing else). */
const MARKER = 'built-by-clipdex-demo';

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

export async function run(args: DemoArgs, ctx: CommandContext): Promise<void> {
  const library = path.resolve(ctx.cwd, args.library ?? '.demo-library');
  const model = {
    ...(args.model ? { model: args.model } : {}),
    ...(args.device ? { device: args.device } : {}),
    ...(args.threads ? { threads: args.threads } : {}),
  };
  writeLine(ctx.stderr, `Indexing the demo corpus into ${library} (only new or changed files)…`);
  const index = await import('./index.command.ts');
  const indexDemo = () =>
    index.run(
      {
        _: [path.join(DEMO_DIR, 'images')],
        captions: [path.join(DEMO_DIR, 'captions.jsonl')],
        library,
        ...model,
      },
      ctx,
    );
  try {
    await indexDemo();
  } catch (error) {
    // A newer bundled model cannot share a library with the old one: rebuild the demo's own
    // library — one it marked, or the default `.demo-library` — and never anything else.
    const ours =
      library === path.resolve(ctx.cwd, '.demo-library') || (await exists(path.join(library, MARKER)));
    if (!isEngineError(error, 'MODEL_MISMATCH') || !ours) throw error;
    writeLine(ctx.stderr, 'The model changed since the demo library was built; rebuilding it…');
    await rm(library, { recursive: true, force: true });
    await indexDemo();
  }
  await writeFile(
    path.join(library, MARKER),
    'This library was built by `clipdex demo`, which may delete and rebuild it.\n',
  );
  if (args.serve === false || ctx.signal.aborted) return;

  const serve = await import('./serve.command.ts');
  const serveArgs = { library, host: args.host ?? '127.0.0.1', ...model };
  try {
    await serve.run({ ...serveArgs, port: args.port ?? '8080' }, ctx);
  } catch (error) {
    // The demo should just work: if 8080 is taken and no port was asked for, take any free one.
    if (!isEngineError(error, 'CONFLICT') || args.port !== undefined) throw error;
    writeLine(ctx.stderr, 'port 8080 is busy; using a free port instead');
    await serve.run({ ...serveArgs, port: 0 }, ctx);
  }
}
