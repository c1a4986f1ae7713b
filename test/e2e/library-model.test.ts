import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(REPO, 'bin/clipdex.js');
const FIXTURE_MODEL = path.join(REPO, 'fixtures/models/formats/huggingface');
const IMAGE = path.join(REPO, 'fixtures/demo/images/grinning-face-twemoji.png');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The library remembers its model: commands without --model load the directory it was indexed
 * with, or a pulled model of that name, or fail naming both — real CLI processes throughout.
 */
describe('clipdex: a library remembers its model', function () {
  this.timeout(120_000);
  let tmp: string;
  let env: NodeJS.ProcessEnv;

  const clipdex = (args: string[]): Promise<Ran> =>
    promisify(execFile)(process.execPath, [CLI, ...args], { env, cwd: tmp }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'clipdex-model-'));
    env = { ...process.env, CLIPDEX_CACHE: path.join(tmp, 'cache'), XDG_CACHE_HOME: '' };
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('index --model ./my-clip, then search without --model just works; a moved model is a clear error; a pulled one is found', async () => {
    const myClip = path.join(tmp, 'my-clip');
    await fs.cp(FIXTURE_MODEL, myClip, { recursive: true });
    const library = path.join(tmp, 'lib');
    const indexed = await clipdex([
      'index',
      IMAGE,
      '--library',
      library,
      '--model',
      './my-clip',
      '--threads',
      '1',
    ]);
    expect(indexed.code, indexed.stderr).to.equal(0);

    const found = await clipdex(['search', 'a face', '--library', library, '--json', '--threads', '1']);
    expect(found.code, found.stderr).to.equal(0);
    expect((JSON.parse(found.stdout) as { results: { uri: string }[] }).results[0]?.uri).to.equal(
      path.basename(IMAGE),
    );

    const info = await clipdex(['library', 'info', '--library', library, '--json']);
    expect(info.code, info.stderr).to.equal(0);
    const json = JSON.parse(info.stdout) as {
      model: { name: string; dir: string };
      kinds: { kind: string; indexed: number; live: number; segments: unknown[] }[];
      schemaVersion: number;
    };
    expect(json.model).to.include({ name: 'my-clip', dir: myClip });
    expect(json.kinds[0]).to.include({ kind: 'image', indexed: 1, live: 1 });
    expect(json.kinds[0]?.segments).to.have.length(1);
    expect(json.schemaVersion).to.be.at.least(1);

    // Moved away: the error names where it looked (the recorded directory and the model cache).
    const elsewhere = path.join(tmp, 'elsewhere');
    await fs.rename(myClip, elsewhere);
    const lost = await clipdex(['search', 'a face', '--library', library, '--threads', '1']);
    expect(lost.code).to.not.equal(0);
    expect(lost.stderr)
      .to.include(myClip)
      .and.include('no longer exists')
      .and.include('no pulled model is named "my-clip"')
      .and.include('--model');

    // In the model cache under its name: found there.
    await fs.mkdir(path.join(tmp, 'cache', 'models'), { recursive: true });
    await fs.rename(elsewhere, path.join(tmp, 'cache', 'models', 'my-clip'));
    const pulled = await clipdex(['search', 'a face', '--library', library, '--json', '--threads', '1']);
    expect(pulled.code, pulled.stderr).to.equal(0);
    expect((JSON.parse(pulled.stdout) as { results: unknown[] }).results).to.have.length(1);

    // An explicit --model of another model is refused with the hint naming the library's model.
    const other = await clipdex([
      'search',
      'a face',
      '--library',
      library,
      '--model',
      path.join(REPO, 'fixtures/models/clipdex-mini'),
      '--threads',
      '1',
    ]);
    expect(other.code).to.not.equal(0);
    expect(other.stderr).to.include('MODEL_MISMATCH').and.include('("my-clip")');
  });
});
