// Filters judged by what they select: items written through the store's public API, searched
// with each filter, and the ids that come back compared with the items that should match. (This
// replaces unit tests that compared the generated SQL text with a copy of itself.)
import { expect } from 'chai';
import path from 'node:path';
import type { ItemFilter } from '../../../src/store/library.types.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

describe('library store: search filters select exactly the matching items', () => {
  let dir: string;
  let library: Awaited<ReturnType<typeof openLibrary>>;
  const ids = new Map<string, number>();

  before(async () => {
    dir = await tempDir();
    library = await openLibrary(path.join(dir, 'lib'), { fingerprint: fingerprint() });
    const photos = library.ensureRoot(path.join(dir, 'photos')).id;
    const nas = library.ensureRoot(path.join(dir, 'mnt', 'nas', 'archive')).id;
    const items = [
      {
        key: 'small-old-jpg',
        root: photos,
        uri: '2019/a.jpg',
        size: 10,
        mtimeMs: 1_000,
        width: 100,
        height: 100,
        format: 'jpeg',
      },
      {
        key: 'mid-png',
        root: photos,
        uri: '2020/b.png',
        size: 20,
        mtimeMs: 2_000,
        width: 200,
        height: 300,
        format: 'png',
      },
      {
        key: 'big-new-tiff',
        root: photos,
        uri: '2020/c.tif',
        size: 30,
        mtimeMs: 3_000,
        width: 300,
        height: 400,
        format: 'tiff',
      },
      {
        key: 'odd-name',
        root: photos,
        uri: 'a_b%/d.jpg',
        size: 20,
        mtimeMs: 2_000,
        width: 200,
        height: 200,
        format: 'jpeg',
      },
      {
        key: 'look-alike',
        root: photos,
        uri: 'axbx/e.jpg',
        size: 20,
        mtimeMs: 2_000,
        width: 200,
        height: 200,
        format: 'jpeg',
      },
      {
        key: 'nas-webp',
        root: nas,
        uri: '2020/f.webp',
        size: 20,
        mtimeMs: 2_000,
        width: 200,
        height: 200,
        format: 'webp',
      },
    ];
    const written = library.write({
      items: [
        ...items.map((it, n) =>
          imageWrite(it.root, n, {
            uri: it.uri,
            size: it.size,
            mtimeMs: it.mtimeMs,
            width: it.width,
            height: it.height,
            format: it.format,
          }),
        ),
        // Never returned by an image search: a failed image and a text.
        (({ vector: _unused, ...failed }) => failed)(
          imageWrite(photos, 90, {
            uri: '2020/broken.jpg',
            status: 'failed',
            error: 'truncated',
            size: 20,
            format: 'jpeg',
          }),
        ),
        {
          kind: 'text',
          rootId: null,
          uri: 'captions.txt#1',
          text: 'a caption',
          status: 'indexed',
          vector: unitVector(91),
        },
      ],
    });
    items.forEach((it, i) => ids.set(it.key, written.itemIds[i]!));
  });
  after(async () => {
    await library?.close();
    await removeDir(dir);
  });

  /** Keys of the items an image search with this filter returns (k larger than the library). */
  const select = (filter: ItemFilter): string[] => {
    const found = new Set(library.search('image', unitVector(1), { k: 50, filter }).map((h) => h.id));
    return [...ids]
      .filter(([, id]) => found.has(id))
      .map(([key]) => key)
      .sort();
  };
  const all = () => [...ids.keys()].sort();

  it('an empty filter returns every indexed image, never failed items or texts', () => {
    expect(select({})).to.deep.equal(all());
  });

  it('size, date, width and height ranges: min/max inclusive, after/before strict', () => {
    expect(select({ minSize: 20, maxSize: 20 })).to.deep.equal([
      'look-alike',
      'mid-png',
      'nas-webp',
      'odd-name',
    ]);
    expect(select({ modifiedAfter: 2_000 })).to.deep.equal(['big-new-tiff']);
    expect(select({ modifiedBefore: 2_000 })).to.deep.equal(['small-old-jpg']);
    expect(select({ minWidth: 300 })).to.deep.equal(['big-new-tiff']);
    expect(select({ maxHeight: 100 })).to.deep.equal(['small-old-jpg']);
    expect(select({ minSize: 10, maxWidth: 200, minHeight: 300 })).to.deep.equal(['mid-png']);
  });

  it('formats are case-insensitive, take a leading dot, and know jpg = jpeg, tif = tiff', () => {
    expect(select({ formats: ['JPG'] })).to.deep.equal(['look-alike', 'odd-name', 'small-old-jpg']);
    expect(select({ formats: ['.png', 'tif'] })).to.deep.equal(['big-new-tiff', 'mid-png']);
    expect(select({ formats: [] })).to.deep.equal([]);
  });

  it('rejects non-finite numbers with INVALID_INPUT naming the field', () => {
    expect(() => select({ minSize: Number.NaN })).to.throw(/minSize/);
  });

  it('an absolute path prefix selects within the roots it touches', () => {
    expect(select({ pathPrefix: path.join(dir, 'photos', '2020') + '/' })).to.deep.equal([
      'big-new-tiff',
      'mid-png',
    ]);
    expect(select({ pathPrefix: path.join(dir, 'mnt') })).to.deep.equal(['nas-webp']);
    expect(select({ pathPrefix: path.join(dir, 'elsewhere') })).to.deep.equal([]);
  });

  it('a relative prefix matches uris under every root, with % and _ taken literally', () => {
    expect(select({ pathPrefix: '2020/' })).to.deep.equal(['big-new-tiff', 'mid-png', 'nas-webp']);
    expect(select({ pathPrefix: 'a_b%/' })).to.deep.equal(['odd-name']);
  });

  it('values are bound, never spliced into SQL: quotes in a prefix or format are just text', () => {
    expect(select({ pathPrefix: "2020/' OR 1=1 --" })).to.deep.equal([]);
    expect(select({ formats: ["jpeg') OR ('1'='1"] })).to.deep.equal([]);
    expect(select({})).to.deep.equal(all()); // and nothing was harmed
  });
});
