/**
 * Reads the emoji data packages installed in training/node_modules: concepts and captions from
 * emojibase-data (en + zh) and emojilib, and per-style SVG art from the @iconify-json sets.
 * Used only by the dataset builder; nothing here ships with the engine.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface EmojiConcept {
  /** Position in emojibase order; every 10th (index % 10 === 9) is held out of training. */
  readonly index: number;
  readonly hexcode: string;
  readonly emoji: string;
  readonly group: number;
  readonly en: { readonly label: string; readonly tags: readonly string[] };
  readonly zh: { readonly label: string; readonly tags: readonly string[] };
  /** emojilib keywords (English), underscores turned into spaces, the label itself removed. */
  readonly keywords: readonly string[];
  readonly heldOut: boolean;
}

interface EmojibaseEntry {
  label: string;
  hexcode: string;
  emoji: string;
  tags?: string[];
  group?: number;
}

/** The art styles. `train` is false for OpenMoji and EmojiOne 1: CC-BY-SA art is for evaluation only. */
export const STYLES = [
  { name: 'noto', train: true, license: 'Apache-2.0', credit: 'Google Noto Color Emoji' },
  { name: 'noto-v1', train: true, license: 'Apache-2.0', credit: 'Google Noto Emoji (blob era)' },
  {
    name: 'twemoji',
    train: true,
    license: 'CC-BY-4.0',
    credit: 'Twemoji by Twitter, Inc and other contributors',
  },
  { name: 'fluent-emoji', train: true, license: 'MIT', credit: 'Microsoft Fluent Emoji (3D-style colour)' },
  { name: 'fluent-emoji-flat', train: true, license: 'MIT', credit: 'Microsoft Fluent Emoji Flat' },
  {
    name: 'fluent-emoji-high-contrast',
    train: true,
    license: 'MIT',
    credit: 'Microsoft Fluent Emoji High Contrast',
  },
  { name: 'emojione', train: true, license: 'CC-BY-4.0', credit: 'EmojiOne 2.2 by Ranks.com' },
  {
    name: 'emojione-monotone',
    train: true,
    license: 'CC-BY-4.0',
    credit: 'EmojiOne 2.2 monotone by Ranks.com',
  },
  { name: 'openmoji', train: false, license: 'CC-BY-SA-4.0', credit: 'OpenMoji (evaluation only)' },
  // The validation style for choices made while training (checkpoints, score mix): never trained
  // on, and not the test style (OpenMoji), so test numbers are measured once, untouched by tuning.
  { name: 'emojione-v1', train: false, license: 'CC-BY-SA-4.0', credit: 'EmojiOne 1 (validation only)' },
] as const;

export type StyleName = (typeof STYLES)[number]['name'];

const stripVariation = (hex: string): string =>
  hex
    .toLowerCase()
    .split('-')
    .filter((p) => p !== 'fe0f')
    .join('-');

export const slugify = (label: string): string =>
  label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

export function loadConcepts(): EmojiConcept[] {
  const en = require('emojibase-data/en/data.json') as EmojibaseEntry[];
  const zh = require('emojibase-data/zh/data.json') as EmojibaseEntry[];
  const lib = require('emojilib') as Record<string, string[]>;
  const zhByHex = new Map(zh.map((e) => [e.hexcode, e]));
  const libByHex = new Map<string, string[]>();
  for (const [emoji, words] of Object.entries(lib)) {
    const hex = [...emoji].map((c) => c.codePointAt(0)!.toString(16)).join('-');
    libByHex.set(stripVariation(hex), words);
  }
  return en.map((e, index) => {
    const z = zhByHex.get(e.hexcode);
    const label = e.label.toLowerCase();
    const keywords = (libByHex.get(stripVariation(e.hexcode)) ?? [])
      .map((w) => w.replace(/_/g, ' ').toLowerCase())
      .filter((w) => w !== label && /[a-z]/.test(w));
    return {
      index,
      hexcode: e.hexcode,
      emoji: e.emoji,
      group: e.group ?? -1,
      en: { label, tags: (e.tags ?? []).map((t) => t.toLowerCase()) },
      zh: { label: z?.label ?? '', tags: z?.tags ?? [] },
      keywords,
      heldOut: index % 10 === 9,
    };
  });
}

interface IconifyIcon {
  body?: string;
  width?: number;
  height?: number;
  left?: number;
  top?: number;
  hFlip?: boolean;
  vFlip?: boolean;
  rotate?: number;
  parent?: string;
}
interface IconifySet {
  icons: Record<string, IconifyIcon>;
  aliases?: Record<string, IconifyIcon>;
  width?: number;
  height?: number;
  left?: number;
  top?: number;
}

/** Builds a standalone SVG string for one icon, resolving aliases and their flips/rotation. */
function iconSvg(set: IconifySet, name: string, extraGroupAttrs: string): string | undefined {
  let transforms: IconifyIcon[] = [];
  let icon: IconifyIcon | undefined = set.icons[name];
  let hops = 0;
  let current = name;
  while (!icon && set.aliases?.[current] && hops < 5) {
    const alias = set.aliases[current]!;
    transforms.push(alias);
    current = alias.parent!;
    icon = set.icons[current];
    hops += 1;
  }
  if (!icon?.body) return undefined;
  transforms = [...transforms, icon];
  const w = icon.width ?? set.width ?? 16;
  const h = icon.height ?? set.height ?? 16;
  const left = icon.left ?? set.left ?? 0;
  const top = icon.top ?? set.top ?? 0;
  const cx = left + w / 2;
  const cy = top + h / 2;
  let hFlip = false;
  let vFlip = false;
  let rotate = 0;
  for (const t of transforms) {
    if (t.hFlip) hFlip = !hFlip;
    if (t.vFlip) vFlip = !vFlip;
    rotate += t.rotate ?? 0;
  }
  const ops: string[] = [];
  if (rotate % 4) ops.push(`rotate(${(rotate % 4) * 90} ${cx} ${cy})`);
  if (hFlip || vFlip)
    ops.push(`translate(${cx} ${cy}) scale(${hFlip ? -1 : 1} ${vFlip ? -1 : 1}) translate(${-cx} ${-cy})`);
  const transform = ops.length ? ` transform="${ops.join(' ')}"` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${left} ${top} ${w} ${h}" width="SIZE" height="SIZE">` +
    `<g${transform}${extraGroupAttrs}>${icon.body}</g></svg>`
  );
}

export interface StyleArt {
  /** SVG (with the literal SIZE placeholder for width/height) per concept hexcode. */
  svg(concept: EmojiConcept, outlined?: boolean): string | undefined;
  readonly viewSize: number;
}

export function loadStyle(style: StyleName): StyleArt {
  const set = require(`@iconify-json/${style}/icons.json`) as IconifySet;
  // fluent-emoji (3D) shares icon names with fluent-emoji-flat but ships no codepoint map.
  const charsPkg = style === 'fluent-emoji' ? 'fluent-emoji-flat' : style;
  let chars: Record<string, string> = {};
  try {
    chars = require(`@iconify-json/${charsPkg}/chars.json`) as Record<string, string>;
  } catch {
    chars = {};
  }
  const byHex = new Map<string, string>();
  for (const [hex, name] of Object.entries(chars)) byHex.set(stripVariation(hex), name);
  const viewSize = set.width ?? 16;
  const exists = (n: string): boolean => Boolean(set.icons[n] ?? set.aliases?.[n]);
  return {
    viewSize,
    svg(concept, outlined = false) {
      let name = byHex.get(stripVariation(concept.hexcode));
      if (!name || !exists(name)) name = slugify(concept.en.label);
      if (!exists(name)) return undefined;
      // "Outlined" draws a dark stroke under every shape that has none of its own, which turns
      // filled art into something closer to OpenMoji-like line art (a style augmentation).
      const stroke = outlined
        ? ` stroke="#1a1a1a" stroke-width="${(viewSize * 0.035).toFixed(2)}" stroke-linejoin="round" paint-order="stroke"`
        : '';
      return iconSvg(set, name, stroke);
    },
  };
}
