/**
 * Builds the demo corpus in fixtures/demo/: a few hundred emoji images from the TRAINING styles
 * (permissive licences; never OpenMoji, never Apple/Facebook art), 128 px PNG on white, plus a
 * captions manifest (JSONL, en + zh) and a plain list of texts for image→text demos.
 *
 *   cd training && npx tsx build-demo.ts
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConcepts, loadStyle, slugify, type EmojiConcept, type StyleName } from './lib/emoji-sources.ts';
import { mapPool, renderPng } from './lib/render.ts';

const OUT = path.join(import.meta.dirname, '..', 'fixtures', 'demo');
const SIZE = 128;
const DEMO_STYLES: StyleName[] = [
  'twemoji',
  'noto',
  'fluent-emoji-flat',
  'fluent-emoji',
  'emojione',
  'noto-v1',
];
/** emojibase groups → how many concepts to take: objects people search for, few symbols/flags. */
const PER_GROUP: Record<number, number> = { 0: 40, 1: 30, 3: 70, 4: 60, 5: 45, 6: 30, 7: 45, 8: 5, 9: 10 };
/** Always present: the end-to-end tests and the README examples use these. */
const MUST = [
  'pizza',
  'dog face',
  'cat face',
  'red apple',
  'rocket',
  'bicycle',
  'sun',
  'birthday cake',
  'hamburger',
  'umbrella',
];

function pick(concepts: readonly EmojiConcept[]): EmojiConcept[] {
  const out: EmojiConcept[] = [];
  for (const [group, n] of Object.entries(PER_GROUP)) {
    const inGroup = concepts.filter(
      (c) => c.group === Number(group) && !c.heldOut && c.zh.label && !c.en.label.includes(':'),
    );
    const step = inGroup.length / n;
    for (let i = 0; i < n && Math.floor(i * step) < inGroup.length; i++)
      out.push(inGroup[Math.floor(i * step)]!);
  }
  for (const label of MUST) {
    const c = concepts.find((x) => x.en.label === label);
    if (c && !out.includes(c)) out.push(c);
  }
  return out;
}

async function main(): Promise<void> {
  const concepts = loadConcepts();
  const styles = new Map(DEMO_STYLES.map((s) => [s, loadStyle(s)]));
  const chosen = pick(concepts);
  await rm(path.join(OUT, 'images'), { recursive: true, force: true });
  await mkdir(path.join(OUT, 'images'), { recursive: true });
  const jobs: { c: EmojiConcept; style: StyleName; svg: string }[] = [];
  chosen.forEach((c, i) => {
    // Rotate styles so the corpus mixes art; fall back to the next style that has the concept.
    for (let k = 0; k < DEMO_STYLES.length; k++) {
      const style = DEMO_STYLES[(i + k) % DEMO_STYLES.length]!;
      const svg = styles.get(style)!.svg(c);
      if (svg) {
        jobs.push({ c, style, svg });
        break;
      }
    }
  });
  // A second pizza in another style, so "pizza" has more than one right answer in the demo.
  const pizza = concepts.find((x) => x.en.label === 'pizza')!;
  jobs.push({ c: pizza, style: 'noto', svg: styles.get('noto')!.svg(pizza)! });
  // Two concepts can share a label (and so a file name): keep the first, so each image is listed once.
  const fileOf = (j: { c: EmojiConcept; style: StyleName }) =>
    `images/${slugify(j.c.en.label)}-${j.style}.png`;
  const taken = new Set<string>();
  const unique = jobs.filter((j) => !taken.has(fileOf(j)) && Boolean(taken.add(fileOf(j))));
  jobs.splice(0, jobs.length, ...unique);
  const files = await mapPool(jobs, 2, async ({ c, style, svg }) => {
    const file = fileOf({ c, style });
    await writeFile(path.join(OUT, file), await renderPng(svg, SIZE));
    return file;
  });
  const lines = jobs.map((j, i) =>
    JSON.stringify({ image: files[i], captions: [j.c.en.label, j.c.zh.label], style: j.style }),
  );
  await writeFile(path.join(OUT, 'captions.jsonl'), `${lines.join('\n')}\n`);
  const texts = [...new Set(jobs.flatMap((j) => [j.c.en.label, j.c.zh.label]))];
  await writeFile(path.join(OUT, 'texts.txt'), `${texts.join('\n')}\n`);
  const perStyle = Object.fromEntries(DEMO_STYLES.map((s) => [s, jobs.filter((j) => j.style === s).length]));
  console.log(`demo: ${jobs.length} images`, perStyle);
}

await main();
