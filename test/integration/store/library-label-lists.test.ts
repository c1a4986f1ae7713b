import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Library } from '../../../src/store/library.types.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

interface ManifestFile {
  segments: { file: string; labels?: string }[];
}

const readManifest = async (dir: string): Promise<ManifestFile> =>
  JSON.parse(await fs.readFile(path.join(dir, 'segments', 'manifest.json'), 'utf8')) as ManifestFile;

/** A library of two sealed image segments (600 + 300 vectors), closed. */
async function twoSegments(dir: string): Promise<number[]> {
  const library = await openLibrary(dir, { fingerprint: fingerprint(), segments: { merge: false } });
  try {
    const rootId = library.ensureRoot(path.join(dir, 'media')).id;
    const ids = [
      ...library.write({ items: Array.from({ length: 600 }, (_, j) => imageWrite(rootId, j)) }).itemIds,
    ];
    await library.checkpoint();
    await library.idle();
    ids.push(
      ...library.write({ items: Array.from({ length: 300 }, (_, j) => imageWrite(rootId, 600 + j)) }).itemIds,
    );
    await library.checkpoint();
  } finally {
    await library.close();
  }
  const library2 = await openLibrary(dir, { readOnly: true });
  try {
    return Array.from({ length: 900 }, (_, n) => library2.search('image', unitVector(n), { k: 1 })[0]!.id);
  } finally {
    await library2.close();
  }
}

/** Every `step`-th item is found first by its own vector, as in the library that wrote it. */
function expectFindsOwn(library: Library, ids: readonly number[], step: number): void {
  for (let n = 0; n < ids.length; n += step) {
    expect(library.search('image', unitVector(n), { k: 1 })[0]?.id).to.equal(ids[n]);
  }
}

/** Opens with hnswlib-node's reader, the path label lists speed up (mapped graphs list their own). */
const unmapped = { readOnly: true, segments: { mapped: false } } as const;

describe('library store: segment label lists', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('each sealed segment has a label list the manifest hashes, and opening reads it', async () => {
    const ids = await twoSegments(dir);
    const manifest = await readManifest(dir);
    expect(manifest.segments).to.have.length(2);
    for (const s of manifest.segments) {
      expect(s.labels).to.match(/^[0-9a-f]{64}$/);
      const list = await fs.readFile(path.join(dir, 'segments', s.file.replace(/\.hnsw$/, '.labels')));
      expect(list.length % 4).to.equal(0);
    }
    const library = await openLibrary(dir, unmapped);
    try {
      expect(library.openTimings.segments.map((s) => s.from)).to.deep.equal(['list', 'list']);
      expect(library.warnings).to.deep.equal([]);
      expectFindsOwn(library, ids, 37);
    } finally {
      await library.close();
    }
    // By default segments are mapped, which lists labels in its own pass and finds the same items.
    const mapped = await openLibrary(dir, { readOnly: true });
    try {
      expect(mapped.openTimings.segments.map((s) => s.from)).to.deep.equal(['mapped', 'mapped']);
      expectFindsOwn(mapped, ids, 37);
    } finally {
      await mapped.close();
    }
  });

  it('a damaged or missing label list only costs speed: the graph is asked, nothing is dropped', async () => {
    const ids = await twoSegments(dir);
    const [first, second] = (await readManifest(dir)).segments;
    const firstList = path.join(dir, 'segments', first!.file.replace(/\.hnsw$/, '.labels'));
    const bytes = await fs.readFile(firstList);
    bytes[0] = bytes[0]! ^ 0xff;
    await fs.writeFile(firstList, bytes);
    await fs.rm(path.join(dir, 'segments', second!.file.replace(/\.hnsw$/, '.labels')));
    const reader = await openLibrary(dir, unmapped);
    try {
      expect(reader.openTimings.segments.map((s) => s.from)).to.deep.equal(['graph', 'graph']);
      expect(reader.warnings).to.deep.equal([]);
      expect(reader.info().kinds[0]!.segments).to.have.length(2);
      expectFindsOwn(reader, ids, 29);
    } finally {
      await reader.close();
    }
  });

  it('a writer adds lists to segments sealed before lists existed, leaving the segment files untouched', async () => {
    const ids = await twoSegments(dir);
    // The format before lists: no list files, no hash in the manifest.
    const manifestFile = path.join(dir, 'segments', 'manifest.json');
    const manifest = (await readManifest(dir)) as ManifestFile & Record<string, unknown>;
    for (const s of manifest.segments) {
      delete s.labels;
      await fs.rm(path.join(dir, 'segments', s.file.replace(/\.hnsw$/, '.labels')));
    }
    await fs.writeFile(manifestFile, JSON.stringify(manifest));
    const stat = async (file: string): Promise<[number, number, number]> => {
      const st = await fs.stat(path.join(dir, 'segments', file));
      return [st.ino, st.size, st.mtimeMs];
    };
    const before = await Promise.all(manifest.segments.map((s) => stat(s.file)));

    const old = await openLibrary(dir, unmapped);
    expect(old.openTimings.segments.map((s) => s.from)).to.deep.equal(['graph', 'graph']);
    await old.close();

    const writer = await openLibrary(dir, { segments: { merge: false } });
    await writer.close();
    const after = await readManifest(dir);
    expect(after.segments.map((s) => s.file)).to.deep.equal(manifest.segments.map((s) => s.file));
    expect(after.segments.every((s) => /^[0-9a-f]{64}$/.test(s.labels ?? ''))).to.equal(true);
    expect(await Promise.all(manifest.segments.map((s) => stat(s.file)))).to.deep.equal(before);

    const reader = await openLibrary(dir, unmapped);
    try {
      expect(reader.openTimings.segments.map((s) => s.from)).to.deep.equal(['list', 'list']);
      expectFindsOwn(reader, ids, 31);
    } finally {
      await reader.close();
    }
  });

  it('merged-away segments take their label lists with them', async () => {
    await twoSegments(dir);
    const library = await openLibrary(dir, { segments: { mergeFactor: 2 } });
    try {
      // Merges are considered after a seal: one more item and a checkpoint.
      const rootId = library.listRoots()[0]!.id;
      library.write({ items: [imageWrite(rootId, 900)] });
      await library.checkpoint();
      await library.idle();
      expect(library.info().kinds[0]!.segments).to.have.length(1);
    } finally {
      await library.close();
    }
    const names = (await fs.readdir(path.join(dir, 'segments'))).sort();
    const [only] = (await readManifest(dir)).segments;
    expect(names).to.deep.equal(
      ['manifest.json', only!.file, only!.file.replace(/\.hnsw$/, '.labels')].sort(),
    );
  });
});
