import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../../src/errors.ts';
import { HubClient } from '../../../src/model/hub/hub-client.ts';
import { pullModel, type PullEvent } from '../../../src/model/hub/pull-model.ts';
import { MANIFEST_FILE, ModelCache } from '../../../src/model/model-cache.ts';
import { TestHub } from './test-hub.server.ts';

const REPO = 'Xenova/tiny-clip';
const COMMIT = 'a'.repeat(40);

function tinyRepo(): Map<string, Buffer> {
  return new Map([
    ['.gitattributes', Buffer.from('*.onnx filter=lfs\n')],
    ['README.md', Buffer.from('# tiny\n')],
    ['config.json', Buffer.from('{"projection_dim":8}')],
    ['tokenizer.json', Buffer.from('{"model":{}}')],
    ['preprocessor_config.json', Buffer.from('{"crop_size":224}')],
    ['onnx/model.onnx', randomBytes(50_000)],
    ['onnx/text_model.onnx', randomBytes(300_000)],
    ['onnx/vision_model.onnx', randomBytes(200_000)],
    ['onnx/text_model_quantized.onnx', randomBytes(80_000)],
    ['onnx/vision_model_quantized.onnx', randomBytes(60_000)],
  ]);
}

async function expectError(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error('expected the promise to reject');
}

describe('model pull from a hub over real HTTP', function () {
  let hub: TestHub;
  let dir: string;
  let cache: ModelCache;
  let files: Map<string, Buffer>;

  beforeEach(async () => {
    hub = new TestHub();
    files = tinyRepo();
    hub.repos.set(REPO, { commit: COMMIT, files });
    await hub.start();
    dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-'));
    cache = new ModelCache(dir);
  });
  afterEach(async () => {
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const pull = (extra: Partial<Parameters<typeof pullModel>[0]> = {}) =>
    pullModel({
      client: new HubClient({ endpoint: hub.endpoint }),
      cache,
      repo: REPO,
      retryDelayMs: 1,
      ...extra,
    });

  it('downloads exactly the fp32 files, follows the LFS redirect and installs atomically', async () => {
    const events: PullEvent[] = [];
    const result = await pull({ onEvent: (e) => events.push(e) });
    expect(result.alreadyInstalled).to.equal(false);
    expect(result.dir).to.equal(cache.installDir(REPO, 'fp32'));
    const want = [
      'README.md',
      'config.json',
      'onnx/text_model.onnx',
      'onnx/vision_model.onnx',
      'preprocessor_config.json',
      'tokenizer.json',
    ];
    expect(result.manifest.files.map((f) => f.path)).to.deep.equal(want);
    for (const p of want) {
      expect((await readFile(path.join(result.dir, p))).equals(files.get(p)!)).to.equal(true, p);
    }
    expect(existsSync(path.join(result.dir, 'onnx/model.onnx'))).to.equal(false);
    expect(result.manifest.commit).to.equal(COMMIT);
    expect(result.manifest.layout).to.equal('huggingface');
    // Pinned to the commit, paged tree followed, LFS file fetched from the CDN after the 302.
    expect(
      hub.requests.some((r) => r.url.startsWith(`/${REPO}/resolve/${COMMIT}/onnx/text_model.onnx`)),
    ).to.equal(true);
    expect(hub.requests.filter((r) => r.url.includes('/tree/')).length).to.be.greaterThan(1);
    expect(hub.requests.some((r) => r.url.startsWith('/cdn/'))).to.equal(true);
    const last = events.filter((e) => e.type === 'progress').at(-1);
    expect(last).to.include({ receivedBytes: 500_000 + 7 + 20 + 12 + 17, totalBytes: 500_056 });
    expect(await readdir(path.join(dir, '.staging'))).to.deep.equal([]);
    expect((await cache.list()).map((m) => m.manifest.repo)).to.deep.equal([REPO]);
  });

  it('pulls only the quantized graphs for --variant quantized', async () => {
    const result = await pull({ variant: 'quantized' });
    const onnx = result.manifest.files.map((f) => f.path).filter((p) => p.endsWith('.onnx'));
    expect(onnx).to.deep.equal(['onnx/text_model_quantized.onnx', 'onnx/vision_model_quantized.onnx']);
    expect(result.dir).to.equal(cache.installDir(REPO, 'quantized'));
    expect(cache.findInstalled(REPO)).to.equal(result.dir);
  });

  it('resumes with a Range request after the connection drops mid-body', async () => {
    hub.dropOnce.add('onnx/text_model.onnx');
    const retries: PullEvent[] = [];
    const result = await pull({ onEvent: (e) => e.type === 'retry' && retries.push(e) });
    expect(retries).to.have.length(1);
    const ranged = hub.requests.filter((r) => r.url.startsWith('/cdn/') && r.range);
    expect(ranged).to.have.length(1);
    expect(Number(/bytes=(\d+)-/.exec(ranged[0]!.range!)![1])).to.be.greaterThan(0);
    const bytes = await readFile(path.join(result.dir, 'onnx/text_model.onnx'));
    expect(bytes.equals(files.get('onnx/text_model.onnx')!)).to.equal(true);
  });

  it('resumes across runs: a failed pull keeps its verified bytes, the next one continues', async () => {
    hub.dropOnce.add('onnx/vision_model.onnx');
    const first = await expectError(pull({ retries: 0 }));
    expect(first.code).to.equal('NETWORK_ERROR');
    expect(existsSync(cache.installDir(REPO, 'fp32'))).to.equal(false);
    hub.requests.length = 0;
    const result = await pull();
    // text_model.onnx verified in the first run is not fetched again; vision_model continues.
    expect(hub.requests.some((r) => r.url.includes('text_model.onnx'))).to.equal(false);
    expect(hub.requests.filter((r) => r.url.startsWith('/cdn/') && r.range)).to.have.length(1);
    expect(
      (await readFile(path.join(result.dir, 'onnx/vision_model.onnx'))).equals(
        files.get('onnx/vision_model.onnx')!,
      ),
    ).to.equal(true);
  });

  it('rejects a corrupted LFS file and installs nothing', async () => {
    hub.corrupt.add('onnx/vision_model.onnx');
    const error = await expectError(pull());
    expect(error.code).to.equal('NETWORK_ERROR');
    expect(error.message).to.match(/onnx\/vision_model\.onnx: downloaded file is corrupt \(sha256/);
    expect(existsSync(cache.installDir(REPO, 'fp32'))).to.equal(false);
    expect(await cache.list()).to.deep.equal([]);
    expect(cache.findInstalled(REPO)).to.equal(undefined);
  });

  it('rejects a corrupted git (non-LFS) file by its git blob id', async () => {
    hub.corrupt.add('config.json');
    const error = await expectError(pull());
    expect(error.message).to.match(/config\.json: downloaded file is corrupt \(git blob id/);
    expect(existsSync(cache.installDir(REPO, 'fp32'))).to.equal(false);
  });

  it('404s become NOT_FOUND naming the repo, the revision or the variant', async () => {
    const repo = await expectError(pull({ repo: 'nobody/missing-model' }));
    expect(repo.code).to.equal('NOT_FOUND');
    expect(repo.message).to.contain('nobody/missing-model');
    const revision = await expectError(pull({ revision: 'v9' }));
    expect(revision.code).to.equal('NOT_FOUND');
    expect(revision.message).to.contain('revision "v9"');
    const variant = await expectError(pull({ variant: 'fp16' }));
    expect(variant.code).to.equal('NOT_FOUND');
    expect(variant.message).to.contain('available: fp32, quantized');
  });

  it('404 on a listed file names the file', async () => {
    // The listing says the file exists, but the resolve endpoint does not have it.
    const client = new HubClient({ endpoint: hub.endpoint });
    const error = await expectError(client.openFile(REPO, COMMIT, 'onnx/nope.onnx', 0));
    expect(error.code).to.equal('NOT_FOUND');
    expect(error.message).to.contain(`${REPO}/onnx/nope.onnx`);
  });

  it('sends HF_TOKEN as Authorization: Bearer to the hub', async () => {
    hub.requiredToken = 'hf_secret';
    const denied = await expectError(pull());
    expect(denied.message).to.contain('set HF_TOKEN');
    hub.requests.length = 0;
    await pull({ client: new HubClient({ endpoint: hub.endpoint, token: 'hf_secret' }) });
    const hubRequests = hub.requests.filter((r) => !r.url.startsWith('/cdn/'));
    expect(hubRequests.length).to.be.greaterThan(3);
    for (const r of hubRequests) expect(r.authorization).to.equal('Bearer hf_secret');
  });

  it('does not touch the network for an installed package unless forced, and --force replaces it', async () => {
    await pull();
    hub.requests.length = 0;
    const again = await pull();
    expect(again.alreadyInstalled).to.equal(true);
    expect(hub.requests).to.deep.equal([]);
    files.set('config.json', Buffer.from('{"projection_dim":16}'));
    const forced = await pull({ force: true });
    expect(forced.alreadyInstalled).to.equal(false);
    expect(await readFile(path.join(forced.dir, 'config.json'), 'utf8')).to.equal('{"projection_dim":16}');
    expect(
      (JSON.parse(await readFile(path.join(forced.dir, MANIFEST_FILE), 'utf8')) as { repo: string }).repo,
    ).to.equal(REPO);
  });

  it('follows the relative redirect of a renamed repo', async () => {
    hub.renamed.set('Old/tiny-clip', REPO);
    const result = await pull({ repo: 'Old/tiny-clip' });
    expect(result.manifest.commit).to.equal(COMMIT);
    expect(
      (await readFile(path.join(result.dir, 'onnx/text_model.onnx'))).equals(
        files.get('onnx/text_model.onnx')!,
      ),
    ).to.equal(true);
  });

  it('stops with ABORTED when cancelled, installs nothing, and a later pull succeeds', async () => {
    const controller = new AbortController();
    const error = await expectError(
      pull({
        signal: controller.signal,
        onEvent: (e) => e.type === 'progress' && e.path === 'onnx/text_model.onnx' && controller.abort(),
      }),
    );
    expect(error.code).to.equal('ABORTED');
    expect(existsSync(cache.installDir(REPO, 'fp32'))).to.equal(false);
    const result = await pull();
    expect(result.alreadyInstalled).to.equal(false);
    expect(await cache.list()).to.have.length(1);
  });

  it('downloads an immich package with external data and without ArmNN/RKNN builds', async () => {
    const immich = new Map<string, Buffer>([
      ['README.md', Buffer.from('immich')],
      ['config.json', Buffer.from('{"embed_dim":8}')],
      ['textual/model.onnx', randomBytes(2000)],
      ['textual/onnx__MatMul_1234', randomBytes(3000)],
      ['textual/tokenizer.json', Buffer.from('{}')],
      ['visual/model.onnx', randomBytes(2000)],
      ['visual/model.armnn', randomBytes(1000)],
      ['visual/preprocess_cfg.json', Buffer.from('{"size":[224,224]}')],
      ['rknpu/rk3588/textual/model.rknn', randomBytes(1000)],
    ]);
    hub.repos.set('immich-app/ViT-B-32__openai', { commit: 'e'.repeat(40), files: immich });
    const result = await pull({ repo: 'immich-app/ViT-B-32__openai' });
    expect(result.manifest.layout).to.equal('openclip');
    expect(result.manifest.files.map((f) => f.path)).to.deep.equal([
      'README.md',
      'config.json',
      'textual/model.onnx',
      'textual/onnx__MatMul_1234',
      'textual/tokenizer.json',
      'visual/model.onnx',
      'visual/preprocess_cfg.json',
    ]);
    expect(
      (await readFile(path.join(result.dir, 'textual/onnx__MatMul_1234'))).equals(
        immich.get('textual/onnx__MatMul_1234')!,
      ),
    ).to.equal(true);
    const fp16 = await expectError(pull({ repo: 'immich-app/ViT-B-32__openai', variant: 'fp16' }));
    expect(fp16.message).to.contain('available: fp32');
  });

  it('refuses to run beside a live pull of the same package, and takes over a dead one', async () => {
    const staging = cache.stagingDir(REPO, 'fp32');
    await mkdir(staging, { recursive: true });
    await writeFile(path.join(staging, 'lock'), String(process.ppid));
    const busy = await expectError(pull());
    expect(busy.code).to.equal('CONFLICT');
    expect(busy.message).to.contain(`process ${process.ppid}`);
    await writeFile(path.join(staging, 'lock'), '2147483646'); // no such process
    expect((await pull()).alreadyInstalled).to.equal(false);
  });

  it('a different --revision than the installed one downloads again', async () => {
    await pull();
    hub.repos.set(REPO, { commit: 'd'.repeat(40), files });
    const same = await pull({ revision: 'main' });
    expect(same.alreadyInstalled).to.equal(true);
    const other = await pull({ revision: 'd'.repeat(40) });
    expect(other.alreadyInstalled).to.equal(false);
    expect(other.manifest.commit).to.equal('d'.repeat(40));
  });
});
