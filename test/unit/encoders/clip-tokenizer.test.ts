import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  ClipTokenizer,
  readTokenizerFiles,
  tokenizerMaxLength,
  type TokenizerFiles,
} from '../../../src/encoders/tokenizer.ts';

const DIR = new URL('../../../fixtures/tokenizers/clip/', import.meta.url);
// The tokenizer itself is product data (the built-in one for clip-as-service packages); the reference ids are test data.
const TOKENIZER_DIR = new URL('../../../src/model/assets/clip-bpe/', import.meta.url);
interface Case {
  readonly name?: string;
  readonly text: string;
  readonly ids: readonly number[];
}
const reference = JSON.parse(readFileSync(new URL('reference-ids.json', DIR), 'utf8')) as {
  cases: Case[];
  extra: Case[];
};
const SOT = 49406;
const EOT = 49407;

describe('ClipTokenizer with the real CLIP tokenizer.json', () => {
  let files: TokenizerFiles;
  let tokenizer: ClipTokenizer;

  before(async () => {
    files = await readTokenizerFiles(TOKENIZER_DIR.pathname);
    tokenizer = new ClipTokenizer(files, { contextLength: tokenizerMaxLength(files) ?? 0 });
  });

  it('reads model_max_length 77 and the pad token <|endoftext|>', () => {
    expect(tokenizerMaxLength(files)).to.equal(77);
    expect(tokenizer.contextLength).to.equal(77);
    expect(tokenizer.padId).to.equal(EOT);
  });

  it('has the 25 + 11 reference cases', () => {
    expect(reference.cases).to.have.length(25);
    expect(reference.extra).to.have.length(11);
  });

  for (const c of [...reference.cases, ...reference.extra]) {
    it(`reproduces ${c.name ?? JSON.stringify(c.text)} exactly, then pads or truncates to 77`, () => {
      expect(tokenizer.rawIds(c.text)).to.deep.equal(c.ids);
      const encoded = tokenizer.encode(c.text);
      if (c.ids.length > 77) {
        // MULTIBYTE_EMOJIS is 83 ids long: SOT + the first 75 tokens + EOT, as clip.tokenize(truncate=True).
        expect(encoded.ids).to.deep.equal([...c.ids.slice(0, 76), EOT]);
        expect(encoded.truncated).to.equal(true);
        return;
      }
      expect(encoded.ids).to.have.length(77);
      expect(encoded.ids.slice(0, c.ids.length)).to.deep.equal(c.ids);
      expect(encoded.ids.slice(c.ids.length).every((id) => id === EOT)).to.equal(true);
      expect(encoded.attentionMask.reduce((a, b) => a + b, 0)).to.equal(c.ids.length);
      expect(encoded.truncated).to.equal(false);
    });
  }

  it('truncates long text to 77 keeping <|endoftext|> last', () => {
    const text = Array.from({ length: 120 }, (_, i) => `word${i % 10}`).join(' ');
    const raw = tokenizer.rawIds(text);
    expect(raw.length).to.be.greaterThan(77);
    const encoded = tokenizer.encode(text);
    expect(encoded.truncated).to.equal(true);
    expect(encoded.ids).to.have.length(77);
    expect(encoded.ids[0]).to.equal(SOT);
    expect(encoded.ids[76]).to.equal(EOT);
    expect(encoded.ids.slice(0, 76)).to.deep.equal(raw.slice(0, 76));
    expect(encoded.attentionMask.every((m) => m === 1)).to.equal(true);
  });

  it('does not truncate a text of exactly 77 tokens', () => {
    const text = Array.from({ length: 75 }, () => 'cat').join(' ');
    const encoded = tokenizer.encode(text);
    expect(tokenizer.rawIds(text)).to.have.length(77);
    expect(encoded.truncated).to.equal(false);
    expect(encoded.ids[76]).to.equal(EOT);
    expect(encoded.ids[75]).to.equal(2368);
  });

  it('pads to a longer fixed graph length with the pad id while truncating at the context length', () => {
    const short = new ClipTokenizer(files, { contextLength: 8, padLength: 12 });
    const encoded = short.encode('a photo of a cat on a red sofa in the sun');
    expect(encoded.ids).to.have.length(12);
    expect(encoded.ids.slice(0, 8)).to.deep.equal([SOT, 320, 1125, 539, 320, 2368, 525, EOT]);
    expect(encoded.ids.slice(8)).to.deep.equal([EOT, EOT, EOT, EOT]);
    expect(encoded.attentionMask).to.deep.equal([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('falls back to pad id 0 (OpenAI/open_clip) when no file names a pad token', () => {
    const bare = new ClipTokenizer(
      { tokenizer: files.tokenizer, config: {}, specialTokens: {} },
      { contextLength: 77 },
    );
    expect(bare.padId).to.equal(0);
    expect(bare.encode('a diagram').ids.slice(4, 8)).to.deep.equal([0, 0, 0, 0]);
  });
});

describe('ClipTokenizer on very long input', () => {
  it('gives the same ids for a 200 kB text as for its first kilobytes, without tokenizing it all', async () => {
    const files = await readTokenizerFiles(TOKENIZER_DIR.pathname);
    const tokenizer = new ClipTokenizer(files, { contextLength: 77 });
    const sentence = 'The quick brown fox jumps over the lazy dog, again and again! ';
    const huge = sentence.repeat(Math.ceil(200_000 / sentence.length));
    const encoded = tokenizer.encode(huge);
    expect(encoded.truncated).to.equal(true);
    expect(encoded.ids).to.deep.equal([...tokenizer.rawIds(sentence.repeat(10)).slice(0, 76), 49407]);
  });
});
