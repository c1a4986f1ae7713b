import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubClient } from '../../../src/model/hub/hub-client.ts';
import { pullModel } from '../../../src/model/hub/pull-model.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { ModelCache } from '../../../src/model/model-cache.ts';
import { resolveModel } from '../../../src/model/resolve-model.ts';
import { repoFromDir } from './repo-from-dir.ts';
import { TestHub } from './test-hub.server.ts';

const FORMATS = fileURLToPath(new URL('../../../fixtures/models/formats/', import.meta.url));

async function embed(
  dir: string,
  variant?: string,
): Promise<{ text: Float32Array[]; image: Float32Array; name: string }> {
  const model = await loadModel(dir, { device: 'cpu', threads: 1, ...(variant ? { variant } : {}) });
  try {
    const text = await model.text.encodeBatch(['a photo of a cat', 'a red car']);
    const { width, height } = model.preprocessor.spec;
    const pixels = Float32Array.from({ length: 3 * width * height }, (_, i) => Math.sin(i / 7));
    return { text, image: await model.image.encodeOne(pixels), name: model.fingerprint.name };
  } finally {
    await model.close();
  }
}

describe('a pulled package loads and encodes through loadModel', function () {
  let hub: TestHub;
  let cacheDir: string;

  before(async () => {
    hub = new TestHub();
    hub.repos.set('tiny/clip-hf', {
      commit: '1'.repeat(40),
      files: await repoFromDir(path.join(FORMATS, 'huggingface')),
    });
    hub.repos.set('tiny/clip-openclip', {
      commit: '2'.repeat(40),
      files: await repoFromDir(path.join(FORMATS, 'openclip')),
    });
    await hub.start();
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-'));
  });
  after(async () => {
    await hub.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  const cases = [
    { repo: 'tiny/clip-hf', fixture: 'huggingface', variant: 'fp32' },
    { repo: 'tiny/clip-hf', fixture: 'huggingface', variant: 'quantized' },
    { repo: 'tiny/clip-openclip', fixture: 'openclip', variant: 'fp32' },
  ] as const;
  for (const c of cases) {
    it(`${c.fixture} layout, ${c.variant}: same vectors as the original package`, async () => {
      hub.dropOnce.add(
        c.fixture === 'openclip'
          ? 'visual/model.onnx'
          : `onnx/vision_model${c.variant === 'fp32' ? '' : '_quantized'}.onnx`,
      );
      const client = new HubClient({ endpoint: hub.endpoint });
      const pulled = await pullModel({
        client,
        cache: new ModelCache(cacheDir),
        repo: c.repo,
        variant: c.variant,
        retryDelayMs: 1,
      });
      expect(resolveModel(`${c.repo}@${c.variant}`, cacheDir)).to.equal(pulled.dir);
      const got = await embed(pulled.dir);
      const want = await embed(
        path.join(FORMATS, c.fixture),
        c.fixture === 'huggingface' ? c.variant : undefined,
      );
      expect(got.text).to.have.length(2);
      for (let i = 0; i < 2; i += 1) {
        expect(Array.from(got.text[i]!)).to.deep.equal(Array.from(want.text[i]!));
      }
      expect(Array.from(got.image)).to.deep.equal(Array.from(want.image));
      expect(got.name).to.contain(c.repo.replace('/', '--'));
    });
  }
});
