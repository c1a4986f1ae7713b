/**
 * `clipdex model list [--json]`: the bundled model, what is in the model cache, and the
 * curated catalog with its published zero-shot retrieval recall, so a user can choose.
 */
import { existsSync } from 'node:fs';
import { bundledModelDir } from '../../src/model/bundled-model.ts';
import { CATALOG, findCatalogEntry } from '../../src/model/catalog.ts';
import { ModelCache } from '../../src/model/model-cache.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';
import { modelCacheDir } from './model-cache-dir.ts';

export interface ModelListArgs {
  readonly json?: boolean;
  readonly cacheDir?: string;
}

const mb = (bytes: number): string =>
  bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
const pad = (text: string, width: number): string => text.padEnd(width);

export async function run(args: ModelListArgs, ctx: CommandContext): Promise<void> {
  const cache = new ModelCache(modelCacheDir(ctx, args.cacheDir));
  const installed = (await cache.list()).map((m) => ({
    name: findCatalogEntry(m.manifest.repo)?.name ?? m.manifest.repo,
    repo: m.manifest.repo,
    variant: m.manifest.variant,
    layout: m.manifest.layout,
    commit: m.manifest.commit,
    revision: m.manifest.revision,
    bytes: m.bytes,
    pulledAt: m.manifest.pulledAt,
    dir: m.dir,
  }));
  const bundled = { name: 'clipdex-mini', dir: bundledModelDir(), present: existsSync(bundledModelDir()) };
  const catalog = CATALOG.map((e) => ({
    ...e,
    installed: installed.filter((m) => m.repo === e.repo).map((m) => m.variant),
  }));

  if (args.json) {
    writeJson(ctx.stdout, { cacheDir: cache.root, bundled, installed, catalog });
    return;
  }
  writeLine(
    ctx.stdout,
    `Bundled (default): ${bundled.name}  ${bundled.dir}${bundled.present ? '' : '  (missing!)'}`,
  );
  writeLine(ctx.stdout);
  writeLine(ctx.stdout, `Installed in ${cache.root}:`);
  if (installed.length === 0) writeLine(ctx.stdout, '  (none yet)');
  for (const m of installed) {
    const ref = m.variant === 'fp32' ? m.name : `${m.name}@${m.variant}`;
    writeLine(
      ctx.stdout,
      `  ${pad(ref, 34)} ${pad(m.repo, 56)} ${pad(mb(m.bytes), 10)} ${m.pulledAt.slice(0, 10)}`,
    );
  }
  writeLine(ctx.stdout);
  writeLine(
    ctx.stdout,
    'Catalog: zero-shot retrieval R@1 in % (OpenCLIP published results; Flickr30k 1k test, MSCOCO 5k test)',
  );
  writeLine(
    ctx.stdout,
    `  ${pad('name', 26)} ${pad('dim', 4)} ${pad('langs', 6)} ${pad('Flickr T>I', 11)}${pad('Flickr I>T', 11)}${pad('COCO T>I', 9)}${pad('COCO I>T', 9)}variants`,
  );
  for (const e of catalog) {
    const r = e.recall;
    const variants = e.variants.map((v) => (e.installed.includes(v) ? `${v}*` : v)).join(',');
    writeLine(
      ctx.stdout,
      `  ${pad(e.name, 26)} ${pad(String(e.dim), 4)} ${pad(e.multilingual ? 'many' : 'en', 6)} ` +
        `${pad(r.flickr.textToImage[0].toFixed(1), 11)}${pad(r.flickr.imageToText[0].toFixed(1), 11)}` +
        `${pad(r.coco.textToImage[0].toFixed(1), 9)}${pad(r.coco.imageToText[0].toFixed(1), 9)}${variants}`,
    );
    writeLine(ctx.stdout, `    ${e.repo}: ${e.description}${e.note ? ` (note: ${e.note})` : ''}`);
  }
  writeLine(ctx.stdout);
  writeLine(ctx.stdout, '* = installed. Pull one with: clipdex model pull <name> [--variant fp16|quantized]');
}
