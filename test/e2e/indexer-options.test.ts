// The README's indexing promises that had no command-line test: --texts, --hidden, --include /
// --exclude, the trash and system folders that are always skipped, HEIF, and the runs that must
// refuse to start (exit 1): a library built with another model, a library another process writes.
// Each test builds its own folder and library, so any one of them runs alone (`--grep`).
import { expect } from 'chai';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { openEngine, type Engine } from '../../src/engine.ts';
import { bundledModelDir } from '../../src/model/bundled-model.ts';
import { loadModel } from '../../src/model/load-model.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { cleanup, clipdex, clipdexJson, FIXTURES, REPO, tempDir } from './indexer-helpers.ts';

const DEMO = path.join(REPO, 'fixtures', 'demo', 'images');
const OTHER_MODEL = path.join(REPO, 'fixtures', 'models', 'formats', 'huggingface');

interface Summary {
  state: string;
  images: Record<string, number>;
  texts: Record<string, number>;
  failures: { uri: string; error: string }[];
}

/** Lays out `files` (relative path → demo image name) under `root`. */
async function layout(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, demo] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await copyFile(path.join(DEMO, demo), path.join(root, rel));
  }
}

/** Every image uri in the library, read through the store's public API (no CLI start-up per check). */
async function indexedUris(lib: string): Promise<string[]> {
  const library = await openLibrary(lib, { readOnly: true });
  try {
    const uris = library
      .listRoots()
      .flatMap((root) =>
        [...library.iterateRoot(root.id)]
          .filter((i) => i.kind === 'image' && i.status === 'indexed')
          .map((i) => i.uri),
      );
    return uris.sort();
  } finally {
    await library.close();
  }
}

/** The bundled model over a library, read-only, for checking what an index run wrote. */
async function withEngine<T>(lib: string, use: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await openEngine({
    libraryDir: lib,
    modelDir: bundledModelDir(),
    readOnly: true,
    device: 'cpu',
    threads: 1,
  });
  try {
    return await use(engine);
  } finally {
    await engine.close();
  }
}

/** A library created for the bundled model (as a first `clipdex index` would), without a CLI run. */
async function bundledLibrary(lib: string): Promise<ReturnType<typeof openLibrary>> {
  const model = await loadModel(bundledModelDir(), { device: 'cpu', threads: 1 });
  const fingerprint = model.fingerprint;
  await model.close();
  return openLibrary(lib, { fingerprint });
}

describe('e2e: clipdex index options and refusals', function () {
  this.timeout(180_000);
  let dir: string;
  let photos: string;
  let lib: string;
  const index = (...args: string[]) =>
    clipdexJson<Summary>(['index', ...args, '--library', lib, '--threads', '1']);

  beforeEach(async () => {
    dir = await tempDir();
    photos = path.join(dir, 'photos');
    lib = path.join(dir, 'library');
    await layout(photos, {
      'ok.png': 'airplane-emojione.png',
      'keep/sub/deep.png': 'anchor-fluent-emoji-flat.png',
      'raw/skip.png': 'ant-fluent-emoji-flat.png',
      '.hidden.png': 'alembic-twemoji.png',
      '.dot/inner.png': 'balloon-noto.png',
      '$RECYCLE.BIN/S-1-5-21/$R1.png': 'baguette-bread-fluent-emoji.png',
      'System Volume Information/thumb.png': 'badminton-fluent-emoji-flat.png',
      '.Trash/trashed.png': 'baby-chick-noto-v1.png',
      'node_modules/pkg/icon.png': 'atm-sign-fluent-emoji-flat.png',
      '@eaDir/ok.png/SYNOPHOTO_THUMB_S.png': 'auto-rickshaw-twemoji.png',
    });
  });
  afterEach(() => cleanup(dir));

  it('by default skips hidden files, trash ($RECYCLE.BIN, .Trash), System Volume Information, node_modules and @eaDir', async () => {
    const run = await index(photos);
    expect(run.state).to.equal('finished');
    expect(await indexedUris(lib)).to.deep.equal(['keep/sub/deep.png', 'ok.png', 'raw/skip.png']);
  });

  it('--hidden also indexes hidden files and folders', async () => {
    await index(photos, '--hidden');
    expect(await indexedUris(lib)).to.include.members([
      '.dot/inner.png',
      '.hidden.png',
      'keep/sub/deep.png',
      'ok.png',
      'raw/skip.png',
    ]);
  });

  it('--include and --exclude take globs matched against the relative path or the file name', async () => {
    await index(photos, '--exclude', 'raw');
    expect(await indexedUris(lib)).to.deep.equal(['keep/sub/deep.png', 'ok.png']);
    const lib2 = path.join(dir, 'library2');
    await clipdexJson([
      'index',
      photos,
      '--include',
      'keep/**',
      '--include',
      'skip.png',
      '--library',
      lib2,
      '--threads',
      '1',
    ]);
    expect(await indexedUris(lib2)).to.deep.equal(['keep/sub/deep.png', 'raw/skip.png']);
  });

  it('--texts indexes .txt (one per line), .jsonl (text field) and .csv (text column) corpora', async () => {
    const texts = path.join(FIXTURES, 'texts');
    const run = await index(
      '--texts',
      path.join(texts, 'lines.txt'),
      '--texts',
      path.join(texts, 'texts.jsonl'),
      '--texts',
      path.join(texts, 'texts.csv'),
    );
    // Counted from the files themselves: non-empty lines, JSON lines, CSV rows after the header.
    const lines = (await readFile(path.join(texts, 'lines.txt'), 'utf8'))
      .split('\n')
      .filter((l) => l.trim()).length;
    const jsonl = (await readFile(path.join(texts, 'texts.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l.trim()).length;
    const csv =
      (await readFile(path.join(texts, 'texts.csv'), 'utf8')).split('\n').filter((l) => l.trim()).length - 1;
    expect(run.texts.indexed).to.equal(lines + jsonl + csv);
    expect(run.images.indexed).to.equal(0);
    await withEngine(lib, async (engine) => {
      for (const text of ['a sleepy cat', 'a sleepy cat, again', 'a sleepy cat, quoted, with commas']) {
        const top = (await engine.search.search({ target: 'text', terms: [{ text }], k: 1 })).results[0];
        expect(top?.item.text).to.equal(text);
        // score is the fused rank score in hybrid mode; the vector leg's cosine is the self-match.
        expect(top?.scores?.vector).to.be.closeTo(1, 1e-3);
      }
    });
  });

  it('HEIF: a .heic libvips can decode is indexed; one it cannot is a listed failure, and the run still exits 0', async () => {
    const heifDir = path.join(dir, 'heif');
    await mkdir(heifDir);
    // sharp's libvips reads HEIF containers with AV1 images (AVIF); HEVC-coded HEIC needs a libvips
    // built with an HEVC decoder. The second file claims HEVC ('hvc1') for the same AV1 data.
    const av1 = await sharp(path.join(DEMO, 'airplane-emojione.png')).heif({ compression: 'av1' }).toBuffer();
    await writeFile(path.join(heifDir, 'plane.heic'), av1);
    const hevcClaim = Buffer.from(av1.toString('latin1').replaceAll('av01', 'hvc1'), 'latin1');
    await writeFile(path.join(heifDir, 'claims-hevc.heic'), hevcClaim);
    const run = await clipdex(['index', heifDir, '--library', lib, '--threads', '1', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.images).to.include({ indexed: 1, failed: 1 });
    expect(summary.failures.map((f) => f.uri)).to.deep.equal(['claims-hevc.heic']);
    expect(summary.failures[0]!.error).to.be.a('string').and.not.empty;
    const query = new Uint8Array(await readFile(path.join(DEMO, 'airplane-emojione.png')));
    const top = await withEngine(
      lib,
      async (engine) =>
        (await engine.search.search({ target: 'image', terms: [{ image: query }], k: 1 })).results[0],
    );
    expect(top?.item.uri).to.equal('plane.heic');
    expect(top?.score).to.be.above(0.9);
  });

  it('exits 1 when the library was built with another model, and names the mismatch', async () => {
    await (await bundledLibrary(lib)).close();
    const other = await clipdex([
      'index',
      photos,
      '--library',
      lib,
      '--threads',
      '1',
      '--model',
      OTHER_MODEL,
    ]);
    expect(other.code).to.equal(1);
    expect(other.stderr).to.match(/MODEL_MISMATCH/);
    expect(await indexedUris(lib)).to.deep.equal([]); // nothing was written
  });

  it('exits 1 when another process is writing the library (busy), and names it', async () => {
    const writer = await bundledLibrary(lib); // this test process holds the write lock
    try {
      const busy = await clipdex(['index', photos, '--library', lib, '--threads', '1']);
      expect(busy.code).to.equal(1);
      expect(busy.stderr).to.match(/LIBRARY_BUSY|busy/);
    } finally {
      await writer.close();
    }
    expect(await indexedUris(lib)).to.deep.equal([]);
  });
});
