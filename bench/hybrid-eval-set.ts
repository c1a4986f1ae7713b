/**
 * Builds fixtures/hybrid-eval: demo images (fixtures/demo, see its NOTICE) under realistic names,
 * some with XMP or IPTC written into the files, and JSONL queries labelled by what can answer
 * them — pixels only, words only (name, folder or metadata), or both — in English, Chinese and
 * Japanese.
 * Deterministic; rerun with `npx tsx bench/hybrid-eval-set.ts` after changing the lists below.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  imageWithMetadata,
  insertJpegSegments,
  iptcApp13,
  type IptcFields,
  type XmpFields,
} from '../test/helpers/photo-metadata-bytes.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const DEMO = path.join(REPO, 'fixtures', 'demo', 'images');
const OUT = path.join(REPO, 'fixtures', 'hybrid-eval');

type Subset = 'pixels' | 'words' | 'both';
interface Entry {
  readonly demo: string;
  readonly file: string;
  readonly xmp?: XmpFields;
  readonly iptc?: IptcFields;
  readonly queries?: ReadonlyArray<{
    readonly q: string;
    readonly subset: Subset;
    readonly lang: 'en' | 'zh' | 'ja';
  }>;
}

const en = (q: string, subset: Subset) => ({ q, subset, lang: 'en' as const });
const zh = (q: string, subset: Subset) => ({ q, subset, lang: 'zh' as const });
const ja = (q: string, subset: Subset) => ({ q, subset, lang: 'ja' as const });

const ENTRIES: Entry[] = [
  // Pixels only: camera names, no metadata; only what the picture shows answers the query.
  { demo: 'cat-emojione', file: 'IMG_1001.jpg', queries: [en('cat', 'pixels')] },
  { demo: 'pizza-noto', file: 'IMG_1002.jpg', queries: [en('pizza', 'pixels')] },
  { demo: 'rocket-noto', file: 'DSC01003.jpg', queries: [en('rocket', 'pixels')] },
  { demo: 'banana-noto-v1', file: 'IMG_1004.jpg', queries: [en('banana', 'pixels')] },
  { demo: 'bicycle-fluent-emoji-flat', file: 'PXL_20230704_1005.jpg', queries: [en('bicycle', 'pixels')] },
  { demo: 'airplane-emojione', file: 'IMG_1006.jpg', queries: [en('airplane', 'pixels')] },
  { demo: 'butterfly-noto', file: 'IMG_1007.jpg', queries: [zh('蝴蝶', 'pixels')] },
  { demo: 'panda-twemoji', file: 'IMG_1008.jpg', queries: [zh('熊猫', 'pixels')] },
  { demo: 'hamburger-fluent-emoji-flat', file: 'DSC01009.jpg', queries: [zh('汉堡', 'pixels')] },
  { demo: 'giraffe-twemoji', file: 'IMG_1010.jpg', queries: [zh('长颈鹿', 'pixels')] },
  { demo: 'carrot-noto', file: 'IMG_1011.jpg', queries: [zh('胡萝卜', 'pixels')] },
  // Words only: what answers is a name, a folder or metadata the picture cannot show.
  {
    demo: 'birthday-cake-fluent-emoji',
    file: 'grandma-rose-90th.jpg',
    queries: [en('grandma rose', 'words')],
  },
  {
    demo: 'lotus-fluent-emoji',
    file: 'IMG_2002.jpg',
    xmp: { keywords: ['quokka', 'Rottnest'] },
    queries: [en('quokka', 'words')],
  },
  {
    demo: 'hotel-fluent-emoji',
    file: 'IMG_2003.jpg',
    xmp: { description: 'Anniversary weekend in Lisbon' },
    queries: [en('lisbon anniversary', 'words')],
  },
  {
    demo: 'desert-island-noto-v1',
    file: 'Trips/Zanzibar 2019/IMG_2004.jpg',
    queries: [en('zanzibar', 'words')],
  },
  {
    demo: 'man-cook-fluent-emoji',
    file: 'IMG_2005.jpg',
    xmp: { people: ['Marco Rossi'] },
    queries: [en('marco rossi', 'words')],
  },
  { demo: 'clinking-glasses-noto', file: 'wedding_AnnaAndTom.jpg', queries: [en('anna and tom', 'words')] },
  {
    demo: 'japanese-castle-emojione',
    file: 'IMG_2007.jpg',
    iptc: { keywords: ['Himeji', '姬路城'] },
    queries: [en('himeji', 'words'), zh('姬路城', 'words')],
  },
  {
    demo: 'cooked-rice-noto',
    file: 'IMG_2008.jpg',
    xmp: { description: '外婆做的年夜饭' },
    queries: [zh('外婆的年夜饭', 'words')],
  },
  { demo: 'scroll-fluent-emoji-flat', file: '毕业典礼-小明.jpg', queries: [zh('小明毕业典礼', 'words')] },
  {
    demo: 'gear-emojione',
    file: 'IMG_2010.jpg',
    xmp: { keywords: ['春天', '花园'] },
    queries: [zh('春天花园', 'words')],
  },
  {
    demo: 'fax-machine-noto',
    file: 'IMG_2011.jpg',
    xmp: { title: '上海出差' },
    queries: [zh('上海出差', 'words')],
  },
  {
    demo: 'luggage-noto',
    file: 'IMG_2012.jpg',
    iptc: { caption: 'Honeymoon in Santorini' },
    queries: [en('santorini honeymoon', 'words')],
  },
  // Both: the picture and the words agree.
  {
    demo: 'kangaroo-fluent-emoji-flat',
    file: 'IMG_3001.jpg',
    xmp: { keywords: ['kangaroo', 'Australia'] },
    queries: [en('kangaroo', 'both')],
  },
  { demo: 'balloon-noto', file: 'party-balloons.jpg', queries: [en('balloon', 'both')] },
  {
    demo: 'fireworks-twemoji',
    file: 'IMG_3003.jpg',
    xmp: { description: 'New Year fireworks over the harbour' },
    queries: [en('fireworks', 'both')],
  },
  { demo: 'bento-box-twemoji', file: 'bento-lunch.jpg', queries: [en('bento box', 'both')] },
  {
    demo: 'horse-fluent-emoji-flat',
    file: 'IMG_3005.jpg',
    xmp: { keywords: ['horse', '马'] },
    queries: [zh('马', 'both')],
  },
  { demo: 'otter-noto', file: '水獭-动物园.jpg', queries: [zh('水獭', 'both')] },
  {
    demo: 'saxophone-emojione',
    file: 'IMG_3007.jpg',
    xmp: { description: 'saxophone solo at the jazz bar' },
    queries: [en('saxophone', 'both')],
  },
  { demo: 'motorcycle-emojione', file: 'motorcycle-trip.jpg', queries: [en('motorcycle', 'both')] },
  { demo: 'crocodile-noto', file: 'IMG_3009.jpg', xmp: { title: '鳄鱼' }, queries: [zh('鳄鱼', 'both')] },
  {
    demo: 'pretzel-twemoji',
    file: 'IMG_3010.jpg',
    iptc: { keywords: ['pretzel', '椒盐卷饼'] },
    queries: [zh('椒盐卷饼', 'both')],
  },
  // Chinese and Japanese as people write them (added to compare word segmentation with the trigram
  // tokenizer): short words, a word inside a longer compound, phrases the metadata words differently.
  {
    demo: 'dumpling-twemoji',
    file: 'IMG_6001.jpg',
    xmp: { description: '妈妈包的饺子' },
    queries: [zh('饺子', 'both'), zh('妈妈做的饺子', 'words')],
  },
  {
    demo: 'bubble-tea-fluent-emoji',
    file: '珍珠奶茶-台北夜市.jpg',
    queries: [zh('台北夜市', 'words'), zh('奶茶', 'both')],
  },
  {
    demo: 'fog-fluent-emoji-flat',
    file: 'IMG_6003.jpg',
    xmp: { title: '黄山云海日出' },
    queries: [zh('黄山', 'words'), zh('云海', 'words')],
  },
  {
    demo: 'cherry-blossom-fluent-emoji-flat',
    file: 'IMG_7001.jpg',
    xmp: { description: '上野公園でお花見' },
    queries: [ja('お花見', 'both'), ja('上野公園', 'words')],
  },
  {
    demo: 'shinto-shrine-twemoji',
    file: '伏見稲荷大社.jpg',
    queries: [ja('伏見稲荷', 'words'), ja('神社', 'pixels')],
  },
  {
    demo: 'fallen-leaf-twemoji',
    file: 'IMG_7003.jpg',
    xmp: { keywords: ['紅葉狩り', '京都'] },
    queries: [ja('紅葉', 'both'), ja('京都の秋', 'words')],
  },
  {
    demo: 'steaming-bowl-fluent-emoji-flat',
    file: 'IMG_7004.jpg',
    xmp: { title: 'ラーメン屋さんの味噌ラーメン' },
    queries: [ja('ラーメン', 'both'), ja('味噌', 'words')],
  },
  {
    demo: 'red-paper-lantern-twemoji',
    file: 'Trips/浅草の夏祭り/IMG_7005.jpg',
    queries: [ja('浅草', 'words'), ja('夏祭り', 'words')],
  },
  {
    demo: 'japanese-dolls-fluent-emoji',
    file: 'IMG_7006.jpg',
    xmp: { people: ['田中花子'] },
    queries: [ja('田中', 'words'), ja('ひな人形', 'pixels')],
  },
];

/** Distractors: other demo pictures under camera names, no metadata. */
const DISTRACTORS = [
  'anchor-fluent-emoji-flat',
  'ant-fluent-emoji-flat',
  'baseball-fluent-emoji',
  'basket-twemoji',
  'bathtub-emojione',
  'bed-fluent-emoji',
  'bell-pepper-fluent-emoji-flat',
  'bird-twemoji',
  'blue-book-noto',
  'boar-noto',
  'cactus-fluent-emoji',
  'camel-fluent-emoji',
  'candy-twemoji',
  'chestnut-twemoji',
  'cow-face-emojione',
  'dove-noto',
  'dragon-face-fluent-emoji',
  'eggplant-twemoji',
  'feather-fluent-emoji',
  'fish-noto',
  'ghost-fluent-emoji',
  'grapes-fluent-emoji-flat',
  'hedgehog-twemoji',
  'jellyfish-twemoji',
];

async function main(): Promise<void> {
  await rm(path.join(OUT, 'images'), { recursive: true, force: true });
  const queries: string[] = [];
  const all: Entry[] = [...ENTRIES, ...DISTRACTORS.map((demo, i) => ({ demo, file: `IMG_${4001 + i}.jpg` }))];
  for (const entry of all) {
    const source = await readFile(path.join(DEMO, `${entry.demo}.png`));
    const format = entry.file.endsWith('.png') ? 'png' : 'jpeg';
    const small = await imageWithMetadata(format, entry.xmp ? { xmp: entry.xmp } : {}, source);
    const bytes = entry.iptc ? insertJpegSegments(small, [iptcApp13(entry.iptc)]) : small;
    const dest = path.join(OUT, 'images', ...entry.file.split('/'));
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, bytes);
    for (const q of entry.queries ?? []) {
      queries.push(
        JSON.stringify({
          query: q.q,
          relevant: [entry.file],
          subset: q.subset,
          lang: q.lang,
          source: `${entry.demo}.png`,
        }),
      );
    }
  }
  await writeFile(path.join(OUT, 'queries.jsonl'), queries.join('\n') + '\n');
  process.stdout.write(`${all.length} images, ${queries.length} queries → ${OUT}\n`);
}

await main();
