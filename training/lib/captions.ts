/**
 * Caption variants per concept, in English and Chinese. The trainer samples a language, then a
 * group (plain label, prompt template, label + tags, single keyword), then a caption in it.
 */
import type { EmojiConcept } from './emoji-sources.ts';

export type CaptionGroups = Record<'label' | 'template' | 'tags' | 'word', string[]>;

const EN_TEMPLATES = [
  'an emoji of {}',
  'a picture of {}',
  'an icon of {}',
  'a photo of {}',
  '{} emoji',
  'a drawing of {}',
];
const ZH_TEMPLATES = ['{}的表情', '{}图标', '一个{}', '{}的图片', '{}的照片'];

/** Deterministic rotation instead of a random shuffle, so the builder's output is reproducible. */
const rotate = <T>(xs: readonly T[], k: number): T[] =>
  xs.length ? [...xs.slice(k % xs.length), ...xs.slice(0, k % xs.length)] : [];

function groupsFor(
  label: string,
  tags: readonly string[],
  words: readonly string[],
  templates: readonly string[],
  sep: string,
): CaptionGroups {
  if (!label) return { label: [], template: [], tags: [], word: [] };
  const others = tags.filter((t) => t !== label);
  const tagCaptions = [0, 1, 2]
    .map((k) => rotate(others, k).slice(0, 3))
    .filter((ts) => ts.length)
    .map((ts) => [label, ...ts].join(sep));
  return {
    label: [label],
    template: templates.map((t) => t.replace('{}', label)),
    tags: [...new Set(tagCaptions)],
    word: [...new Set([...others, ...words])],
  };
}

export function captionsFor(c: EmojiConcept): { en: CaptionGroups; zh: CaptionGroups } {
  return {
    en: groupsFor(c.en.label, c.en.tags, c.keywords, EN_TEMPLATES, ', '),
    zh: groupsFor(c.zh.label, c.zh.tags, [], ZH_TEMPLATES, '，'),
  };
}

/** Every string the tokenizer vocabulary must cover, beyond the captions themselves. */
export const EXTRA_VOCAB_TEXT = [
  'a an the of and or with in on at to for from by photo picture image icon emoji drawing sketch illustration',
  'cute small big red green blue yellow black white orange purple brown pink gray grey',
  '照片 图片 图标 表情 一个 的',
];
