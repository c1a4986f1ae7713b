/**
 * Words for the keyword index, the same way for documents and queries: file names split on
 * `-_. `, camelCase and digit runs; every text segmented into words by Intl.Segmenter (ICU's
 * dictionary segmentation, so Chinese and Japanese become words instead of one long run), then
 * lower-cased. FTS5 then sees space-separated words and its unicode61 tokenizer keeps them whole.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

/** Query words that match almost everything and say nothing. */
const STOPWORDS = new Set([
  'a',
  'an',
  'the',
  'of',
  'on',
  'in',
  'at',
  'to',
  'and',
  'or',
  'with',
  'for',
  'is',
  'are',
  'by',
  'from',
  'my',
  'photo',
  'picture',
  'image',
  '的',
  'の',
  'は',
  'が',
  'を',
  'に',
]);

/** Splits text into the words a keyword document holds (`words` here; a bench compares others). */
export type WordSplitter = (text: string) => string[];

/** Words of free text (captions, keywords, descriptions, queries), lower-cased, in order. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const part of segmenter.segment(text.normalize('NFKC'))) {
    if (part.isWordLike) out.push(part.segment.toLowerCase());
  }
  return out;
}

/**
 * "grandma-rose-90th.jpg" → grandma rose 90 th; "IMG_2041.JPG" → img 2041;
 * "birthdayParty2019.png" → birthday party 2019. The extension is dropped.
 */
export function fileNameWords(fileName: string, split: WordSplitter = words): string[] {
  const stem = fileName.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const spaced = stem
    .replace(/[-_.\s]+/g, ' ')
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .replace(/(\p{L})(\d)/gu, '$1 $2')
    .replace(/(\d)(\p{L})/gu, '$1 $2');
  return split(spaced);
}

/** Folder names of a '/'-separated relative path (not the file itself). */
export function folderWords(uri: string, split: WordSplitter = words): string[] {
  const parts = uri.split('/').slice(0, -1);
  return parts.flatMap((p) => fileNameWords(p + '.x', split));
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Query words worth matching: stopwords dropped unless nothing else is left. */
export function queryWords(query: string): string[] {
  const all = [...new Set(words(query))];
  const kept = all.filter((w) => !STOPWORDS.has(w));
  return kept.length > 0 ? kept : all;
}

/** A word as an FTS5 phrase, quoted so user input is never FTS syntax. */
export function ftsPhrase(word: string): string {
  return `"${word.replaceAll('"', '""')}"`;
}

/** An FTS5 MATCH expression: any of the words, each quoted so user input is never FTS syntax. */
export function matchExpression(queryTerms: readonly string[]): string | null {
  if (queryTerms.length === 0) return null;
  return queryTerms.map(ftsPhrase).join(' OR ');
}
