// Sharp edges of the command line (issue 16): `index --captions <not a manifest>` refuses before it
// touches the library, and `serve` stopped by SIGTERM speaks about the server, not the indexer.
import { once } from 'node:events';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { cleanup, clipdex, copyFixture, spawnClipdex, tempDir } from './indexer-helpers.ts';
import { MODEL_DIR, sharedFixture } from './server-harness.ts';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe('e2e: command-line sharp edges', function () {
  this.timeout(180_000);
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => cleanup(dir));

  it('5. index --captions <not a manifest> exits 1 and leaves no library behind', async () => {
    const photos = await copyFixture('photos', dir);
    const notes = path.join(dir, 'notes.txt');
    await writeFile(notes, 'just some words\nwith no images in them\n');
    const picture = path.join(dir, 'picture.png');
    await writeFile(picture, 'not really a picture');
    const lines = path.join(dir, 'bad.jsonl');
    await writeFile(lines, Array.from({ length: 300 }, (_, i) => `{"nothing": ${i}}`).join('\n'));
    for (const manifest of [notes, picture, lines]) {
      const library = path.join(dir, `lib-${path.basename(manifest)}`);
      const r = await clipdex([
        'index',
        photos,
        '--captions',
        manifest,
        '--library',
        library,
        '--threads',
        '1',
      ]);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.include('not a caption manifest').and.include(manifest);
      expect(await exists(library), `${library} must not be created`).to.equal(false);
    }
  });

  it('7. serve on SIGTERM says it stops the server, not the indexer\'s "current batch"', async () => {
    const fx = await sharedFixture();
    const child = spawnClipdex([
      'serve',
      '--library',
      fx.libraryDir,
      '--model',
      MODEL_DIR,
      '--port',
      '0',
      '--threads',
      '1',
    ]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exit = once(child, 'exit');
    for (let i = 0; i < 600 && !/open http/.test(out) && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).to.match(/open http/);
    child.kill('SIGTERM');
    const [code] = (await exit) as [number | null];
    expect(code, out).to.equal(0);
    expect(out).to.include('stopping the server');
    expect(out).to.not.include('current batch');
  });
});
