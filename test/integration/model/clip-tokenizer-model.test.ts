import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { BUILTIN_CLIP_TOKENIZER_DIR } from '../../../src/model/detect-layout.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { expectedText, maxAbsDiff } from './format-fixture-math.ts';
import { tempCopy } from './model-test-dirs.ts';

describe('huggingface package with the real CLIP tokenizer', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ dir, cleanup } = await tempCopy('models/formats/huggingface'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
      await copyFile(path.join(BUILTIN_CLIP_TOKENIZER_DIR, f), path.join(dir, f));
    }
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as {
      text_config: Record<string, unknown>;
    };
    config.text_config['max_position_embeddings'] = 77;
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  });
  after(() => cleanup());

  it('feeds CLIP ids padded to 77 with <|endoftext|> as int64 and gets the known-weight embedding', async () => {
    const model = await loadModel(dir, { device: 'cpu', threads: 1 });
    try {
      expect(model.text.contextLength).to.equal(77);
      expect(model.details.padId).to.equal(49407);
      // The fixture graph counts <|endoftext|> pads, so the load-time probe must keep full padding.
      expect(model.details.trimPadding).to.equal(false);
      const ref = [49406, 320, 1125, 539, 320, 2368, 49407];
      const padded = [...ref, ...new Array<number>(70).fill(49407)];
      expect(model.text.tokenize('a photo of a cat')).to.deep.equal(padded);
      // The fixture graph masks id 0 only, so every <|endoftext|> pad counts: this pins both
      // the pad id and the padded length.
      const [v] = await model.text.encodeBatch(['a photo of a cat']);
      expect(maxAbsDiff(v!, expectedText(padded, 8))).to.be.below(1e-4);
      expect(maxAbsDiff(v!, expectedText(ref, 8))).to.be.above(1e-3);
    } finally {
      await model.close();
    }
  });
});

describe('openclip package with tokenizer_kwargs.clean = canonicalize (SigLIP style)', () => {
  it('strips punctuation and case before tokenizing', async () => {
    const { dir, cleanup } = await tempCopy('models/formats/openclip');
    try {
      const plain = await loadModel(dir, { device: 'cpu', threads: 1 });
      const [withPunct, bare] = await plain.text.encodeBatch(['Red, car.', 'red car']);
      await plain.close();
      expect(maxAbsDiff(withPunct!, bare!)).to.be.above(1e-3);

      const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as {
        text_cfg: Record<string, unknown>;
      };
      config.text_cfg['tokenizer_kwargs'] = { clean: 'canonicalize' };
      await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
      const model = await loadModel(dir, { device: 'cpu', threads: 1 });
      try {
        expect(model.details.textClean).to.equal('canonicalize');
        const [a, b] = await model.text.encodeBatch(['Red, car.', 'red car']);
        expect(maxAbsDiff(a!, b!)).to.be.below(1e-6);
      } finally {
        await model.close();
      }
    } finally {
      await cleanup();
    }
  });
});
