/**
 * Tag precision@1 on the demo corpus with its concept names (first English caption) as labels:
 * indexes the demo images with the real CLI, runs `clipdex tag`, and checks each image's most
 * probable stored tag against its concept. Also compares prompt-template sets (in process).
 *
 *   npx tsx bench/tags-eval.ts [--keep <dir>]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel } from '../src/model/load-model.ts';
import { openLibrary } from '../src/store/open-library.ts';
import { DEFAULT_TAG_SETTINGS, embedLabels, topLabel } from '../src/tags/zero-shot-tagger.ts';

const DEMO = fileURLToPath(new URL('../fixtures/demo/', import.meta.url));
const MODEL = fileURLToPath(new URL('../fixtures/models/clipdex-mini/', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/clipdex.js', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { keep: { type: 'string' } } });
  const work = values.keep ?? (await mkdtemp(path.join(os.tmpdir(), 'clipdex-tags-eval-')));
  try {
    const lines = (await readFile(path.join(DEMO, 'captions.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const concept = new Map<string, string>();
    for (const line of lines) {
      const row = JSON.parse(line) as { image: string; captions: string[] };
      concept.set(row.image.replace(/^images\//, ''), row.captions[0]!);
    }
    const labels = [...new Set(concept.values())];
    await writeFile(path.join(work, 'labels.txt'), labels.join('\n'));
    const lib = path.join(work, 'library');
    const cli = (...args: string[]): string =>
      execFileSync(process.execPath, [BIN, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    cli('index', path.join(DEMO, 'images'), '--library', lib, '--json');
    const t0 = performance.now();
    const summary = JSON.parse(
      cli('tag', '--library', lib, '--labels', path.join(work, 'labels.txt'), '--json'),
    ) as { images: number; tags: number };
    const tagMs = performance.now() - t0;

    const library = await openLibrary(lib, { readOnly: true, create: false });
    const model = await loadModel(MODEL, { threads: 1 });
    try {
      const items = library.imageSignatures(0, 10_000);
      const tags = library.tagsFor(items.map((i) => i.id));
      let correct = 0;
      let tagged = 0;
      for (const item of items) {
        const top = tags.get(item.id)?.[0];
        if (top) tagged++;
        if (top?.label === concept.get(item.uri)) correct++;
      }
      console.log(
        `demo corpus: ${items.length} images, ${labels.length} labels (concept names); clipdex tag took ${(tagMs / 1000).toFixed(1)} s (CLI, incl. model load)`,
      );
      console.log(
        `stored tags (threshold ${DEFAULT_TAG_SETTINGS.threshold}): precision@1 ${(correct / items.length).toFixed(3)}; ${tagged} images have ≥ 1 tag, ${summary.tags} tags in all`,
      );
      for (const templates of [
        ['{}'],
        ['a photo of {}'],
        ['{}', 'a photo of {}'],
        DEFAULT_TAG_SETTINGS.templates,
        ['{}', 'a photo of {}', 'an emoji of {}', 'a picture of {}', 'an icon of {}'],
      ]) {
        const set = {
          labels: await embedLabels(labels, model.text, templates),
          settings: { ...DEFAULT_TAG_SETTINGS, templates },
        };
        let ok = 0;
        for (const item of items) {
          if (topLabel(library.getVector(item.id)!, set) === concept.get(item.uri)) ok++;
        }
        console.log(
          `  templates ${JSON.stringify(templates)}: precision@1 ${(ok / items.length).toFixed(3)}`,
        );
      }
    } finally {
      await model.close();
      await library.close();
    }
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
