// The commands as users run them, as real processes: `clipdex demo` indexes the demo corpus once
// and serves it; `clipdex serve` prints its URL, answers, and stops cleanly on SIGINT.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadModel } from '../../src/model/load-model.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { MODEL_DIR, REPO, demoRows, removeFixture } from './server-harness.ts';

const children: ChildProcessWithoutNullStreams[] = [];

function clipdex(
  args: string[],
  cwd = REPO,
): { child: ChildProcessWithoutNullStreams; output: () => string; exit: Promise<number | null> } {
  // A temp model cache: thread calibrations (and anything else cached) never land in ~/.cache.
  const env = { ...process.env, CLIPDEX_CACHE: path.join(os.tmpdir(), 'clipdex-e2e-cache') };
  const child = spawn(process.execPath, [path.join(REPO, 'bin/clipdex.js'), ...args], { cwd, env });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

async function waitForUrl(output: () => string, exit: Promise<number | null>): Promise<string> {
  let running = true;
  const exited = exit.then((code) => {
    running = false;
    throw new Error(`clipdex exited (${code}) before serving:\n${output()}`);
  });
  const found = (async () => {
    // Stops polling once the process is gone, so a failed start can't keep mocha alive.
    while (running) {
      const match = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output());
      if (match) return match[1]!;
      await new Promise((r) => setTimeout(r, 50));
    }
    return '';
  })();
  return Promise.race([found, exited]);
}

describe('server e2e: clipdex demo and clipdex serve', function () {
  this.timeout(300_000);
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-demo-'));
  });
  afterEach(() => {
    // A failed assertion must not leave a server running.
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
  after(async () => {
    await removeFixture(tmp);
  });

  it('demo indexes the whole demo corpus, then serves it; SIGINT stops it with status 0', async () => {
    const library = path.join(tmp, 'demo-library');
    const first = clipdex(['demo', '--library', library, '--model', MODEL_DIR, '--no-serve']);
    expect(await first.exit, first.output()).to.equal(0);
    const images = new Set((await demoRows()).map((r) => r.image)).size;

    const second = clipdex(['demo', '--library', library, '--model', MODEL_DIR, '--port', '0']);
    const url = await waitForUrl(second.output, second.exit);
    // The second run found everything indexed already.
    expect(second.output()).to.match(/images: 0 indexed/);
    const health = (await (await fetch(`${url}health`)).json()) as {
      library: { images: { indexed: number } };
    };
    expect(health.library.images.indexed).to.equal(images);
    const page = await fetch(url);
    expect(page.status).to.equal(200);
    second.child.kill('SIGINT');
    expect(await second.exit, second.output()).to.equal(0);
    expect(second.output()).to.include('stopping the server');
  });

  it('demo rebuilds its own library when the bundled model changed, and only its own', async () => {
    const otherModel = path.join(REPO, 'fixtures/models/formats/huggingface');
    const library = path.join(tmp, 'old-demo');
    const old = clipdex(['demo', '--library', library, '--model', otherModel, '--no-serve']);
    expect(await old.exit, old.output()).to.equal(0);
    const rebuilt = clipdex(['demo', '--library', library, '--model', MODEL_DIR, '--no-serve']);
    expect(await rebuilt.exit, rebuilt.output()).to.equal(0);
    expect(rebuilt.output()).to.include('rebuilding');

    // A library the demo did not build is never deleted: the mismatch is reported instead.
    const foreign = path.join(tmp, 'foreign');
    const mine = clipdex([
      'index',
      path.join(REPO, 'fixtures/demo/images/grinning-face-twemoji.png'),
      '--library',
      foreign,
      '--model',
      otherModel,
    ]);
    expect(await mine.exit, mine.output()).to.equal(0);
    const refused = clipdex(['demo', '--library', foreign, '--model', MODEL_DIR, '--no-serve']);
    expect(await refused.exit).to.not.equal(0);
    expect(refused.output()).to.match(/MODEL_MISMATCH/);
    // Serving it needs no --model: the library remembers the model it was indexed with.
    const served = clipdex(['serve', '--library', foreign, '--port', '0', '--threads', '1']);
    await waitForUrl(served.output, served.exit);
    served.child.kill('SIGTERM');
    expect(await served.exit).to.equal(0);
  });

  it('serve without --model finds the model the library was built with, as search does', async () => {
    // A model named by its package directory resolves when that directory is at hand (here: the cwd).
    const formats = path.join(REPO, 'fixtures/models/formats');
    const library = path.join(tmp, 'built-with-fixture');
    const image = path.join(REPO, 'fixtures/demo/images/grinning-face-twemoji.png');
    const indexed = clipdex(['index', image, '--library', library, '--model', 'huggingface'], formats);
    expect(await indexed.exit, indexed.output()).to.equal(0);
    const served = clipdex(['serve', '--library', library, '--port', '0', '--threads', '1'], formats);
    const url = await waitForUrl(served.output, served.exit);
    const health = (await (await fetch(`${url}health`)).json()) as { model: { name: string; dim: number } };
    expect(health.model).to.include({ name: 'huggingface', dim: 8 });
    served.child.kill('SIGTERM');
    expect(await served.exit).to.equal(0);
  });

  it('serve refuses a missing library and a port that is taken, with clear messages', async () => {
    const missing = clipdex(['serve', '--library', path.join(tmp, 'nope'), '--model', MODEL_DIR]);
    expect(await missing.exit).to.not.equal(0);
    expect(missing.output()).to.match(/nope/);

    // Its own (empty) library for the bundled model: the test must not depend on the demo test having run first.
    const library = path.join(tmp, 'port-library');
    const model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
    await (await openLibrary(library, { fingerprint: model.fingerprint })).close();
    await model.close();
    const a = clipdex(['serve', '--library', library, '--model', MODEL_DIR, '--port', '0', '--threads', '1']);
    const url = await waitForUrl(a.output, a.exit);
    const port = new URL(url).port;
    const b = clipdex([
      'serve',
      '--library',
      library,
      '--model',
      MODEL_DIR,
      '--port',
      port,
      '--threads',
      '1',
    ]);
    expect(await b.exit).to.not.equal(0);
    expect(b.output()).to.match(/already in use/);
    a.child.kill('SIGTERM');
    expect(await a.exit).to.equal(0);
  });
});
