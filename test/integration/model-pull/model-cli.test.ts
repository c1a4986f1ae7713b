import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolveModel } from '../../../src/model/resolve-model.ts';
import { TestHub } from './test-hub.server.ts';

const CLI = fileURLToPath(new URL('../../../bin/clipdex.js', import.meta.url));
const run = promisify(execFile);

describe('clipdex model pull / model list (real processes, HF_ENDPOINT on loopback)', function () {
  this.timeout(120_000);
  let hub: TestHub;
  let home: string;

  before(async () => {
    hub = new TestHub();
    hub.requiredToken = 'hf_cli_token';
    hub.repos.set('Xenova/clip-vit-base-patch32', {
      commit: 'b'.repeat(40),
      files: new Map([
        ['config.json', Buffer.from('{}')],
        ['tokenizer.json', Buffer.from('{}')],
        ['onnx/text_model_quantized.onnx', randomBytes(40_000)],
        ['onnx/vision_model_quantized.onnx', randomBytes(30_000)],
      ]),
    });
    await hub.start();
    home = await mkdtemp(path.join(os.tmpdir(), 'clipdex-'));
  });
  after(async () => {
    await hub.stop();
    await rm(home, { recursive: true, force: true });
  });

  const env = () => ({
    ...process.env,
    HF_ENDPOINT: hub.endpoint,
    HF_TOKEN: 'hf_cli_token',
    CLIPDEX_CACHE: home,
    XDG_CACHE_HOME: '',
  });

  it('pulls a catalog name into $CLIPDEX_CACHE, then lists it and resolves it', async () => {
    const pulled = await run(
      process.execPath,
      [CLI, 'model', 'pull', 'clip-vit-b32', '--variant', 'quantized'],
      { env: env() },
    );
    expect(pulled.stdout).to.contain('installed Xenova/clip-vit-base-patch32 (quantized');
    expect(pulled.stdout).to.contain('--model clip-vit-b32@quantized');
    expect(pulled.stderr).to.contain('ok onnx/vision_model_quantized.onnx');
    const listed = await run(process.execPath, [CLI, 'model', 'list', '--json'], { env: env() });
    const json = JSON.parse(listed.stdout) as {
      installed: { name: string; variant: string; bytes: number }[];
      catalog: { name: string; installed: string[] }[];
    };
    expect(json.installed).to.have.length(1);
    expect(json.installed[0]).to.include({ name: 'clip-vit-b32', variant: 'quantized', bytes: 70_004 });
    expect(json.catalog.find((e) => e.name === 'clip-vit-b32')?.installed).to.deep.equal(['quantized']);
    expect(resolveModel('clip-vit-b32', path.join(home, 'models'))).to.equal(
      path.join(home, 'models', 'Xenova--clip-vit-base-patch32--quantized'),
    );
  });

  it('fails with a clear message and status 1 for a variant the repo does not publish', async () => {
    const failed = await run(
      process.execPath,
      [CLI, 'model', 'pull', 'Xenova/clip-vit-base-patch32', '--variant', 'fp16'],
      { env: env() },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.contain('does not publish the fp16 variant; available: quantized');
    expect(failed?.stderr).to.contain('[NOT_FOUND]');
  });
});
