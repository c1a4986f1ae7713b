/**
 * `clipdex tag --library <dir> --labels labels.txt [--threshold T]`: scores every indexed image
 * against the labels zero-shot (prompt templates averaged) and stores the tags. The label set
 * stays configured, so later `clipdex index` runs tag new images; labels dropped from the file
 * lose their tags. `--clear` turns tagging off and removes every tag.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError, fromFsError } from '../../src/errors.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import type { LibraryStore } from '../../src/store/library-store.ts';
import { parseLabels } from '../../src/tags/labels-file.ts';
import { DEFAULT_TAG_SETTINGS, embedLabels, tagVector } from '../../src/tags/zero-shot-tagger.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';
import { withLibraryModel } from '../cli-support/library-model.ts';
import { openModel, positiveInt, type ModelArgs } from '../cli-support/open-model.ts';

export interface TagArgs extends ModelArgs {
  readonly library: string;
  readonly labels?: string;
  readonly threshold?: string;
  readonly template?: string[];
  readonly maxTags?: string;
  readonly clear?: boolean;
  readonly json?: boolean;
}

const PAGE = 2000;

export async function run(args: TagArgs, ctx: CommandContext): Promise<void> {
  if (!args.labels && !args.clear) {
    throw new EngineError(
      'INVALID_INPUT',
      'give --labels <file> (one label per line), or --clear to remove every tag',
    );
  }
  const threshold = args.threshold === undefined ? DEFAULT_TAG_SETTINGS.threshold : Number(args.threshold);
  if (!(threshold > 0 && threshold <= 1)) {
    throw new EngineError(
      'INVALID_INPUT',
      `--threshold is a probability above 0 and at most 1 (got "${args.threshold}")`,
    );
  }
  const settings = {
    ...DEFAULT_TAG_SETTINGS,
    threshold,
    ...(args.template?.length ? { templates: args.template } : {}),
    ...(args.maxTags === undefined ? {} : { maxTags: positiveInt(args.maxTags, '--max-tags', 100) }),
  };
  const dir = path.resolve(ctx.cwd, args.library);
  if (args.clear) {
    const library = await openLibrary(dir, { create: false });
    try {
      library.setTagLabels([], settings);
    } finally {
      await library.close();
    }
    return args.json
      ? writeJson(ctx.stdout, { labels: 0, images: 0, tags: 0 })
      : writeLine(ctx.stdout, 'tagging turned off; every tag removed');
  }
  const file = path.resolve(ctx.cwd, args.labels!);
  const parsed = parseLabels(
    await readFile(file).catch((e: unknown) => Promise.reject(fromFsError(e, file))),
    args.labels,
  );

  const { model, library } = await withLibraryModel(args, ctx, dir, async (modelDir) => {
    const model = await openModel({ ...args, model: modelDir }, ctx);
    try {
      const library: LibraryStore = await openLibrary(dir, {
        fingerprint: model.fingerprint,
        create: false,
        modelDir,
      });
      return { model, library };
    } catch (error) {
      await model.close();
      throw error;
    }
  });
  try {
    try {
      const labels = await embedLabels(parsed.labels, model.text, settings.templates);
      library.setTagLabels(labels, settings);
      const set = library.tagLabelSet()!;
      let images = 0;
      let tags = 0;
      const counts = new Map<string, number>();
      for (let after = 0; ;) {
        const page = library.imageVectors(after, PAGE);
        const entries = page.map((p) => ({ itemId: p.id, tags: tagVector(p.vector, set) }));
        library.writeTags(entries);
        for (const e of entries) {
          images += 1;
          tags += e.tags.length;
          for (const t of e.tags) counts.set(t.label, (counts.get(t.label) ?? 0) + 1);
        }
        if (page.length < PAGE || ctx.signal.aborted) break;
        after = page[page.length - 1]!.id;
      }
      const summary = {
        labels: parsed.labels.length,
        blankLines: parsed.blankLines,
        duplicates: parsed.duplicates,
        images,
        tags,
        threshold,
        templates: settings.templates,
      };
      if (args.json) return writeJson(ctx.stdout, summary);
      if (parsed.duplicates.length) {
        writeLine(
          ctx.stderr,
          `note: ${parsed.duplicates.length} label(s) listed more than once, kept once: ${parsed.duplicates.slice(0, 5).join(', ')}`,
        );
      }
      writeLine(
        ctx.stdout,
        `${parsed.labels.length} labels; ${images} images tagged, ${tags} tags stored (threshold ${threshold})`,
      );
      const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10);
      if (top.length) writeLine(ctx.stdout, `most used: ${top.map(([l, n]) => `${l} (${n})`).join(', ')}`);
      writeLine(
        ctx.stdout,
        'new images get tags on later `clipdex index` runs; run `clipdex tag` again after editing the labels',
      );
    } finally {
      await library.close();
    }
  } finally {
    await model.close();
  }
}
