/**
 * `clipdex demo` (what `npm run demo` runs): index the bundled demo corpus — emoji images with
 * English and Chinese captions — with the bundled model into `.demo-library/`, then serve it.
 * Indexing is incremental, so every run after the first only checks that nothing changed.
 */
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

export async function run(args: DemoArgs, ctx: CommandContext): Promise<void> {
  const library = path.resolve(ctx.cwd, args.library ?? '.demo-library');
  const model = { ...(args.model ? { model: args.model } : {}), ...(args.device ? { device: args.device } : {}), ...(args.threads ? { threads: args.threads } : {}) };
  writeLine(ctx.stderr, `Indexing the demo corpus into ${library} (only new or changed files)…`);
  const index = await import('./index.command.ts');
  await index.run(
    { _: [path.join(DEMO_DIR, 'images')], captions: [path.join(DEMO_DIR, 'captions.jsonl')], library, ...model },
    ctx,
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
