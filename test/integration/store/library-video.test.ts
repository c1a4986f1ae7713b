import { expect } from 'chai';
import path from 'node:path';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import type { VideoWrite } from '../../../src/store/library.types.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { fingerprint, imageWrite, removeDir, tempDir, unitVector } from './store-test-context.ts';

function video(
  rootId: number,
  uri: string,
  seeds: readonly number[],
  extra: Partial<VideoWrite> = {},
): VideoWrite {
  return {
    rootId,
    uri,
    contentHash: `vhash-${uri}`,
    size: 5000,
    mtimeMs: 1_700_000_000_000,
    width: 640,
    height: 360,
    format: 'mp4',
    metadata: { duration: seeds.length * 2, codec: 'h264' },
    status: 'indexed',
    shots: seeds.map((seed, i) => ({
      start: i * 2,
      end: i * 2 + 2,
      vector: unitVector(seed),
      thumbnail: new Uint8Array([0xff, 0xd8, i]),
    })),
    ...extra,
  };
}

describe('library store: videos and shots', function () {
  let dir: string;
  let library: LibraryStore;
  let rootId: number;

  beforeEach(async () => {
    dir = await tempDir();
    library = await openLibrary(dir, { fingerprint: fingerprint() });
    rootId = library.ensureRoot(path.join(dir, 'media')).id;
  });
  afterEach(async () => {
    await library.close();
    await removeDir(dir);
  });

  it('stores a video with its shots; shot vectors are searchable in the image space', () => {
    library.write({ items: [imageWrite(rootId, 1)] });
    const { videoIds } = library.write({ videos: [video(rootId, 'clips/a.mp4', [101, 102, 103])] });
    const videoId = videoIds![0]!;
    const item = library.getItem(videoId)!;
    expect(item).to.include({ kind: 'video', status: 'indexed', format: 'mp4', width: 640 });
    expect(item.metadata).to.deep.equal({ duration: 6, codec: 'h264' });
    const shots = library.shotsOf(videoId);
    expect(shots.map((s) => [s.position, s.start, s.end])).to.deep.equal([
      [0, 0, 2],
      [1, 2, 4],
      [2, 4, 6],
    ]);
    expect(library.getItem(shots[1]!.id)).to.include({ kind: 'shot', uri: 'clips/a.mp4#shot=1' });
    expect(library.resolvePath(library.getItem(shots[1]!.id)!)).to.equal(
      path.join(dir, 'media', 'clips', 'a.mp4'),
    );
    expect([...library.shotThumbnail(shots[2]!.id)!]).to.deep.equal([0xff, 0xd8, 2]);

    const [hit] = library.search('image', unitVector(102), { k: 1 });
    expect(hit?.id).to.equal(shots[1]!.id);
    expect(library.shotsByIds([hit!.id]).get(hit!.id)?.videoId).to.equal(videoId);
    // kinds narrow the image space to photos or to video shots
    expect(
      library.search('image', unitVector(102), { k: 10, filter: { kinds: ['image'] } }).map((h) => h.id),
    ).to.deep.equal([library.findByUri(rootId, 'photos/img-1.jpg')!.id]);
    expect(
      library
        .search('image', unitVector(102), { k: 10, filter: { kinds: ['video'] } })
        .map((h) => h.id)
        .sort(),
    ).to.deep.equal(shots.map((s) => s.id).sort());
    expect(library.counts('video').indexed).to.equal(1);
    expect(library.counts('shot').indexed).to.equal(3);
    expect(library.counts('image').indexed).to.equal(1);
  });

  it('re-indexing reuses shot ids by position and retires the rest; failing drops them from search', () => {
    const first = library.write({ videos: [video(rootId, 'a.mp4', [1, 2, 3])] }).videoIds![0]!;
    const before = library.shotsOf(first).map((s) => s.id);
    const again = library.write({ videos: [video(rootId, 'a.mp4', [4, 5])] }).videoIds![0]!;
    expect(again).to.equal(first);
    const after = library.shotsOf(first);
    expect(after.map((s) => s.id)).to.deep.equal(before.slice(0, 2));
    expect(library.search('image', unitVector(3), { k: 1 })[0]?.id).to.not.equal(before[2]);
    expect(library.search('image', unitVector(5), { k: 1 })[0]?.id).to.equal(before[1]);
    library.write({ videos: [{ rootId, uri: 'a.mp4', status: 'failed', error: 'no video stream' }] });
    expect(library.getItem(first)).to.include({ status: 'failed', error: 'no video stream' });
    expect(library.shotsOf(first)).to.deep.equal([]);
    expect(library.search('image', unitVector(5), { k: 5 })).to.deep.equal([]);
  });

  it('deleting a video deletes its shots; moving it moves them and a moved-back deleted video revives them', () => {
    const id = library.write({ videos: [video(rootId, 'old/a.mp4', [7, 8])] }).videoIds![0]!;
    const shotIds = library.shotsOf(id).map((s) => s.id);
    library.write({ moves: [{ id, rootId, uri: 'new/b.mp4' }] });
    expect(library.getItem(id)?.uri).to.equal('new/b.mp4');
    expect(shotIds.map((s) => library.getItem(s)?.uri)).to.deep.equal([
      'new/b.mp4#shot=0',
      'new/b.mp4#shot=1',
    ]);
    expect(library.search('image', unitVector(8), { k: 1 })[0]?.id).to.equal(shotIds[1]);

    library.write({ deletions: [id] });
    expect(library.getItem(id)?.status).to.equal('deleted');
    expect(library.shotsOf(id)).to.deep.equal([]);
    expect(library.search('image', unitVector(8), { k: 5 })).to.deep.equal([]);

    library.write({ moves: [{ id, rootId, uri: 'back/c.mp4' }] });
    expect(library.getItem(id)?.status).to.equal('indexed');
    expect(library.shotsOf(id).map((s) => s.id)).to.deep.equal(shotIds);
    expect(library.search('image', unitVector(8), { k: 1 })[0]?.id).to.equal(shotIds[1]);
  });

  it('refuses malformed videos before writing anything', () => {
    expect(() => library.write({ videos: [video(rootId, 'x.mp4', [])] })).to.throw(/at least one shot/);
    expect(() =>
      library.write({
        videos: [{ ...video(rootId, 'x.mp4', [1]), shots: [{ start: 3, end: 1, vector: unitVector(1) }] }],
      }),
    ).to.throw(/start/);
    expect(library.findByUri(rootId, 'x.mp4')).to.equal(undefined);
  });

  it('keeps shots after reopening (graph rebuilt or loaded from SQLite)', async () => {
    const id = library.write({ videos: [video(rootId, 'a.mp4', [11, 12])] }).videoIds![0]!;
    await library.close();
    library = await openLibrary(dir, { fingerprint: fingerprint() });
    const shots = library.shotsOf(id);
    expect(library.search('image', unitVector(12), { k: 1 })[0]?.id).to.equal(shots[1]!.id);
  });
});
