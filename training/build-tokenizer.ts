/**
 * Builds the WordPiece tokenizer (tokenizer.json + tokenizer_config.json) from the caption
 * corpus, then tokenizes every caption with the same @huggingface/tokenizers package the engine
 * uses, so training sees exactly the ids inference will produce.
 *
 *   cd training && npx tsx build-tokenizer.ts      # needs .data/concepts.json (build-dataset.ts)
 *
 * Writes .data/tokenizer/{tokenizer.json,tokenizer_config.json} and .data/captions.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EXTRA_VOCAB_TEXT, captionsFor, type CaptionGroups } from './lib/captions.ts';
import type { EmojiConcept } from './lib/emoji-sources.ts';

export const CONTEXT_LENGTH = 32;
const DATA = path.join(import.meta.dirname, '.data');

const CJK = /([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2fa1f}])/gu;
const PUNCT = /([\p{P}\p{S}\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e])/gu;

/** Mirrors BertNormalizer (lowercase, strip accents, CJK spacing) + BertPreTokenizer closely enough to pick words. */
function words(text: string): string[] {
  const norm = text
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .replace(CJK, ' $1 ')
    .replace(PUNCT, ' $1 ');
  return norm.split(/\s+/).filter(Boolean);
}

function buildVocab(texts: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const t of texts) for (const w of words(t)) seen.add(w);
  // Single characters (and their ## continuations) let WordPiece spell out any unseen word.
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (const ch of chars) seen.add(ch);
  const body = [...seen].sort();
  const cont = [...chars].map((ch) => `##${ch}`);
  // EOS is the largest id, so legacy argmax(input_ids) pooling finds the same position.
  return ['[PAD]', '[UNK]', ...body, ...cont, '[BOS]', '[EOS]'];
}

function tokenizerJson(vocab: readonly string[]): object {
  const ids = Object.fromEntries(vocab.map((v, i) => [v, i]));
  const special = (content: string) => ({
    id: ids[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[BOS]', '[EOS]'].map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: true,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[BOS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[EOS]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[BOS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[EOS]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '[EOS]', type_id: 0 } },
      ],
      special_tokens: {
        '[BOS]': { id: '[BOS]', ids: [ids['[BOS]']], tokens: ['[BOS]'] },
        '[EOS]': { id: '[EOS]', ids: [ids['[EOS]']], tokens: ['[EOS]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

const tokenizerConfig = {
  tokenizer_class: 'PreTrainedTokenizerFast',
  model_max_length: CONTEXT_LENGTH,
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  bos_token: '[BOS]',
  eos_token: '[EOS]',
  do_lower_case: true,
  clean_up_tokenization_spaces: true,
};

async function main(): Promise<void> {
  const concepts = JSON.parse(await readFile(path.join(DATA, 'concepts.json'), 'utf8')) as EmojiConcept[];
  const groups = concepts.map(captionsFor);
  const all = groups.flatMap((g) => [...Object.values(g.en), ...Object.values(g.zh)].flat());
  const vocab = buildVocab([...all, ...EXTRA_VOCAB_TEXT]);
  const json = tokenizerJson(vocab);
  const dir = path.join(DATA, 'tokenizer');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  await writeFile(path.join(dir, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig, null, 2)}\n`);

  const tok = new Tokenizer(json, tokenizerConfig);
  let unk = 0;
  const encode = (g: CaptionGroups) =>
    Object.fromEntries(
      Object.entries(g).map(([k, texts]) => [
        k,
        texts.map((t) => {
          const ids = tok.encode(t).ids;
          unk += ids.filter((i: number) => i === 1).length;
          return ids;
        }),
      ]),
    );
  const encoded = groups.map((g) => ({ en: encode(g.en), zh: encode(g.zh) }));
  await writeFile(
    path.join(DATA, 'captions.json'),
    JSON.stringify({
      vocabSize: vocab.length,
      contextLength: CONTEXT_LENGTH,
      eos: vocab.length - 1,
      concepts: encoded,
    }),
  );
  console.log(`vocab ${vocab.length}, captions ${all.length}, [UNK] tokens ${unk}`);
  console.log(
    tok.encode('A DOG face!').tokens,
    tok.encode('披萨').tokens,
    tok.encode('an emoji of pizza').ids,
  );
}

await main();
