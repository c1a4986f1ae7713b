import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../../src/errors.ts';
import { bundledModelDir } from '../../../src/model/bundled-model.ts';
import { CATALOG, findCatalogEntry } from '../../../src/model/catalog.ts';
import { defaultModelCacheDir, MANIFEST_FILE, ModelCache } from '../../../src/model/model-cache.ts';
import { resolveModel } from '../../../src/model/resolve-model.ts';

function thrown(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error('expected a throw');
}

describe('resolveModel and the model cache', function () {
  let cacheDir: string;
  beforeEach(async () => {
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-'));
  });
  afterEach(() => rm(cacheDir, { recursive: true, force: true }));

  async function install(repo: string, variant: 'fp32' | 'fp16' | 'quantized'): Promise<string> {
    const dir = new ModelCache(cacheDir).installDir(repo, variant);
    await mkdir(dir, { recursive: true });
    const manifest = {
      format: 1,
      repo,
      revision: 'main',
      commit: 'c'.repeat(40),
      variant,
      layout: 'huggingface',
      endpoint: 'http://x',
      pulledAt: '2026-01-01T00:00:00Z',
      files: [{ path: 'a', size: 5 }],
    };
    await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
    return dir;
  }

  it('no name means the bundled model', () => {
    expect(resolveModel(undefined, cacheDir)).to.equal(bundledModelDir());
    expect(bundledModelDir()).to.match(/fixtures[/\\]models[/\\]clipdex-mini$/);
  });

  it('an existing directory resolves to itself, absolute', async () => {
    const dir = path.join(cacheDir, 'my-model');
    await mkdir(dir);
    expect(resolveModel(dir, cacheDir)).to.equal(dir);
  });

  it('catalog names and repo ids resolve to pulled packages, preferring fp32, honouring @variant', async () => {
    const quantized = await install('Xenova/clip-vit-base-patch32', 'quantized');
    expect(resolveModel('clip-vit-b32', cacheDir)).to.equal(quantized);
    const fp32 = await install('Xenova/clip-vit-base-patch32', 'fp32');
    expect(resolveModel('clip-vit-b32', cacheDir)).to.equal(fp32);
    expect(resolveModel('Xenova/clip-vit-base-patch32', cacheDir)).to.equal(fp32);
    expect(resolveModel('clip-vit-b32@quantized', cacheDir)).to.equal(quantized);
    const listed = await new ModelCache(cacheDir).list();
    expect(listed.map((m) => m.manifest.variant)).to.deep.equal(['fp32', 'quantized']);
  });

  it('a known but not pulled model is NOT_FOUND with the pull command', () => {
    const error = thrown(() => resolveModel('clip-vit-b16@fp16', cacheDir));
    expect(error.code).to.equal('NOT_FOUND');
    expect(error.message).to.contain('clipdex model pull clip-vit-b16 --variant fp16');
    const unknown = thrown(() => resolveModel('no-such-thing', cacheDir));
    expect(unknown.code).to.equal('NOT_FOUND');
    expect(unknown.message).to.contain('clipdex model list');
    expect(thrown(() => resolveModel('clip-vit-b32@int3', cacheDir)).code).to.equal('INVALID_INPUT');
  });

  it('a package without its manifest (an interrupted copy) is not treated as installed', async () => {
    await mkdir(new ModelCache(cacheDir).installDir('Xenova/clip-vit-base-patch32', 'fp32'), {
      recursive: true,
    });
    expect(thrown(() => resolveModel('clip-vit-b32', cacheDir)).code).to.equal('NOT_FOUND');
    expect(await new ModelCache(cacheDir).list()).to.deep.equal([]);
  });

  it('the cache dir comes from CLIPDEX_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultModelCacheDir({ CLIPDEX_CACHE: '/c', XDG_CACHE_HOME: '/x' }, '/home/u')).to.equal(
      path.resolve('/c/models'),
    );
    expect(defaultModelCacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u')).to.equal(
      path.resolve('/x/clipdex/models'),
    );
    expect(defaultModelCacheDir({}, '/home/u')).to.equal(path.join('/home/u', '.cache', 'clipdex', 'models'));
  });

  it('the catalog has unique names, repo ids and complete recall rows', () => {
    expect(new Set(CATALOG.map((e) => e.name)).size).to.equal(CATALOG.length);
    for (const e of CATALOG) {
      expect(findCatalogEntry(e.repo)).to.equal(e);
      for (const triple of [
        e.recall.flickr.textToImage,
        e.recall.flickr.imageToText,
        e.recall.coco.textToImage,
        e.recall.coco.imageToText,
      ]) {
        expect(triple[0]).to.be.within(0, triple[1]);
        expect(triple[1]).to.be.within(triple[0], triple[2]);
        expect(triple[2]).to.be.at.most(100);
      }
    }
    expect(CATALOG.some((e) => e.multilingual)).to.equal(true);
  });
});
