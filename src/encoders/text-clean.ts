/**
 * open_clip's text cleaning modes (`text_cfg.tokenizer_kwargs.clean`, src/open_clip/tokenizer.py),
 * applied before the tokenizer. SigLIP packages use 'canonicalize' (punctuation stripped,
 * lowercased) and their vocabularies expect it. ftfy and html.unescape are not reproduced.
 */
export type TextClean = 'none' | 'whitespace' | 'lower' | 'canonicalize';

// Python's string.punctuation.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

const collapse = (text: string): string => text.split(/\s+/).filter(Boolean).join(' ');

export function cleanText(text: string, mode: TextClean): string {
  switch (mode) {
    case 'none':
      return text;
    case 'whitespace':
      return collapse(text);
    case 'lower':
      return collapse(text).toLowerCase();
    case 'canonicalize':
      return collapse(text.replaceAll('_', ' ').replace(PUNCTUATION, '').toLowerCase());
  }
}

export function parseTextClean(value: unknown): TextClean | undefined {
  return value === 'none' || value === 'whitespace' || value === 'lower' || value === 'canonicalize'
    ? value
    : undefined;
}
