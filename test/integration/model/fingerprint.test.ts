import { appendFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { loadModel } from '../../../src/model/load-model.ts';
import { tempCopy } from './model-test-dirs.ts';

async function idOf(dir: string): Promise<{ id: string; name: string; files: string[] }> {
  const model = await loadModel(dir, { device: 'cpu', threads: 1 });
  await model.close();
  return {
    id: model.fingerprint.id,
    name: model.fingerprint.name,
    files: Object.keys(model.fingerprint.files),
  };
}

describe('model fingerprint', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempCopy('models/formats/openclip'));
  });
  afterEach(() => cleanup());

  it('is stable across loads, hashes graphs, tokenizer and configs', async () => {
    const a = await idOf(dir);
    const b = await idOf(dir);
    expect(a.id)
      .to.equal(b.id)
      .and.to.match(/^[0-9a-f]{24}$/);
    expect(a.files).to.include.members([
      'textual/model.onnx',
      'visual/model.onnx',
      'textual/tokenizer.json',
      'config.json',
      'visual/preprocess_cfg.json',
    ]);
  });

  it('survives renaming the package directory (the name is recorded, not hashed)', async () => {
    const before = await idOf(dir);
    const moved = path.join(path.dirname(dir), 'renamed-model');
    await rename(dir, moved);
    const after = await idOf(moved);
    expect(after.id).to.equal(before.id);
    expect(after.name).to.equal('renamed-model');
  });

  it('changes when a file that shapes the embeddings changes', async () => {
    const before = await idOf(dir);
    await appendFile(path.join(dir, 'textual', 'tokenizer_config.json'), '\n');
    expect((await idOf(dir)).id).to.not.equal(before.id);
  });
});

describe('model fingerprint: external-data weights', () => {
  it('hashes immich-style loose tensor files and HF *.onnx_data files', async () => {
    const openclip = await tempCopy('models/formats/openclip');
    const hf = await tempCopy('models/formats/huggingface');
    try {
      const before = await idOf(openclip.dir);
      await writeFile(path.join(openclip.dir, 'textual', 'onnx__MatMul_1234'), 'weights v1');
      const withBlob = await idOf(openclip.dir);
      expect(withBlob.files).to.include('textual/onnx__MatMul_1234');
      expect(withBlob.id).to.not.equal(before.id);
      await writeFile(path.join(openclip.dir, 'textual', 'onnx__MatMul_1234'), 'weights v2');
      expect((await idOf(openclip.dir)).id).to.not.equal(withBlob.id);

      await writeFile(path.join(hf.dir, 'onnx', 'text_model.onnx_data'), 'weights');
      await writeFile(path.join(hf.dir, 'onnx', 'text_model_fp16.onnx_data'), 'other variant');
      const files = (await idOf(hf.dir)).files;
      expect(files).to.include('onnx/text_model.onnx_data');
      expect(files).to.not.include('onnx/text_model_fp16.onnx_data');
    } finally {
      await Promise.all([openclip.cleanup(), hf.cleanup()]);
    }
  });
});
