/**
 * Dataset builder for clipdex-mini. Deterministic: same packages in, same files out.
 *
 *   cd training && nice npx tsx build-dataset.ts            # → training/.data/
 *
 * Writes, per style, `images-<style>[-outlined].u8` (N×64×64×3 RGB on white) with a JSON list of
 * concept indexes, `concepts.json` (en/zh labels, tags, emojilib keywords, held-out flag), and
 * evaluation manifests for `clipdex eval` over held-out OpenMoji art (PNG files under eval/).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STYLES, loadConcepts, loadStyle, type EmojiConcept, type StyleName } from './lib/emoji-sources.ts';
import { mapPool, renderPng, renderRgb } from './lib/render.ts';

const SIZE = 64;
const OUT = path.join(import.meta.dirname, '.data');

async function renderStyle(
  style: StyleName,
  concepts: readonly EmojiConcept[],
  outlined: boolean,
): Promise<number> {
  const art = loadStyle(style);
  const picked: { c: EmojiConcept; svg: string }[] = [];
  for (const c of concepts) {
    const svg = art.svg(c, outlined);
    if (svg) picked.push({ c, svg });
  }
  const pixels = await mapPool(picked, 2, ({ svg }) => renderRgb(svg, SIZE).catch(() => undefined));
  const keep = picked
    .map((p, i) => ({ index: p.c.index, px: pixels[i] }))
    .filter((p) => p.px?.length === SIZE * SIZE * 3);
  const name = outlined ? `${style}-outlined` : style;
  await writeFile(path.join(OUT, `images-${name}.u8`), Buffer.concat(keep.map((k) => k.px!)));
  await writeFile(path.join(OUT, `images-${name}.json`), JSON.stringify(keep.map((k) => k.index)));
  return keep.length;
}

/**
 * Manifests for `clipdex eval`: every image of the style is listed (so ranking is always among
 * all ~1.9k images), but only the subset's lines carry captions; the others are distractors.
 */
async function writeEvalSet(style: StyleName, concepts: readonly EmojiConcept[]): Promise<void> {
  const dir = path.join(OUT, 'eval', style);
  await mkdir(path.join(dir, 'images'), { recursive: true });
  const art = loadStyle(style);
  const have = concepts.filter((c) => art.svg(c));
  const ok = await mapPool(have, 2, async (c) => {
    try {
      await writeFile(path.join(dir, 'images', `${c.hexcode}.png`), await renderPng(art.svg(c)!, SIZE));
      return true;
    } catch {
      return false;
    }
  });
  const rendered = have.filter((_, i) => ok[i]);
  for (const lang of ['en', 'zh'] as const) {
    for (const subset of ['seen', 'unseen', 'all'] as const) {
      const lines = rendered.map((c) => {
        const inSubset = subset === 'all' || (subset === 'unseen') === c.heldOut;
        const label = c[lang].label;
        return JSON.stringify({
          image: `images/${c.hexcode}.png`,
          captions: inSubset && label ? [label] : [],
        });
      });
      await writeFile(path.join(dir, `${lang}-${subset}.jsonl`), `${lines.join('\n')}\n`);
    }
  }
  console.log(`eval/${style}: ${rendered.length} PNGs + manifests`);
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const concepts = loadConcepts();
  await writeFile(path.join(OUT, 'concepts.json'), JSON.stringify(concepts));
  console.log(`concepts: ${concepts.length} (${concepts.filter((c) => c.heldOut).length} held out)`);
  const only = process.argv.slice(2);
  for (const s of STYLES) {
    if (only.length && !only.includes(s.name)) continue;
    const t0 = Date.now();
    const n = await renderStyle(s.name, concepts, false);
    // OpenMoji is rendered for the in-training evaluation only, never outlined or trained on.
    const m = s.train ? await renderStyle(s.name, concepts, true) : 0;
    console.log(
      `${s.name}: ${n} images${s.train ? ` + ${m} outlined` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  if (!only.length || only.includes('eval')) {
    await writeEvalSet('openmoji', concepts);
    await writeEvalSet('noto', concepts);
    await writeEvalSet('emojione-v1', concepts);
  }
}

await main();
