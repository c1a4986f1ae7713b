// The legs of a search against the real store: the keyword leg's fast path (FTS5 ranks alone)
// returns what the full join returns, also when most matches are of another kind; videos are
// found by their words; shots of one video collapse into one hit and the page still fills.
import { expect } from 'chai';
import path from 'node:path';
import type { ImageEncoder, TextEncoder } from '../../../src/encoders/encoder.ts';
import type { ImagePreprocessor } from '../../../src/image/preprocess.types.ts';
import { SearchService } from '../../../src/search/search.service.ts';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import type { VideoWrite } from '../../../src/store/library.types.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { l2Normalize } from '../../../src/vector/vector-math.ts';
import { DIM, fingerprint, imageWrite, removeDir, tempDir, unitVector } from '../store/store-test-context.ts';

/** A vector close to `base` (cosine falls as `step` grows). */
function near(base: Float32Array, seed: number, step: number): Float32Array {
  const noise = unitVector(seed);
  return l2Normalize(base.map((x, i) => x + step * noise[i]!));
}

describe('search legs against the real store', function () {
  let dir: string;
  let library: LibraryStore;
  let rootId: number;
  const axis = unitVector(4242);

  before(async () => {
    dir = await tempDir();
    library = await openLibrary(dir, { fingerprint: fingerprint() });
    rootId = library.ensureRoot(path.join(dir, 'media')).id;
    // 3 photos and 60 captions say "lighthouse": the captions rank first for the word (shorter).
    library.write({
      items: [
        ...[1, 2, 3].map((n) =>
          imageWrite(rootId, n, { uri: `trips/lighthouse-${n}-harbour-walk-evening.jpg` }),
        ),
        ...Array.from({ length: 10 }, (_, i) => imageWrite(rootId, 100 + i)),
        ...Array.from({ length: 60 }, (_, i) => ({
          kind: 'text' as const,
          rootId: null,
          uri: `captions.txt#${i}`,
          text: `lighthouse ${i}`,
          status: 'indexed' as const,
          vector: unitVector(1000 + i),
        })),
      ],
    });
    // Two videos whose every shot is near the query, and photos a little less near.
    const video = (uri: string, seed: number): VideoWrite => ({
      rootId,
      uri,
      contentHash: `v-${uri}`,
      size: 5000,
      mtimeMs: 1_700_000_000_000,
      width: 640,
      height: 360,
      format: 'mp4',
      metadata: { duration: 60 },
      status: 'indexed',
      shots: Array.from({ length: 30 }, (_, i) => ({
        start: i * 2,
        end: i * 2 + 2,
        vector: near(axis, seed + i, 0.05 + i * 0.001),
      })),
    });
    library.write({ videos: [video('clips/lighthouse-tour.mp4', 500), video('clips/ferry.mp4', 600)] });
    library.write({
      items: Array.from({ length: 8 }, (_, i) =>
        imageWrite(rootId, 200 + i, {
          uri: `near/photo-${i}.jpg`,
          vector: near(axis, 700 + i, 0.2 + i * 0.01),
        }),
      ),
    });
  });
  after(async () => {
    await library.close();
    await removeDir(dir);
  });

  it('the keyword fast path returns what the full join returns, though most best matches are captions', () => {
    const photos = library.findByUri(rootId, 'trips/lighthouse-1-harbour-walk-evening.jpg')!.id;
    for (const k of [1, 2, 3, 10]) {
      const fast = library.keywordSearch('image', 'lighthouse', { k });
      // Any narrowing filter takes the join path; minSize 0 keeps everything.
      const joined = library.keywordSearch('image', 'lighthouse', { k, filter: { minSize: 0 } });
      expect(fast, `k ${k}`).to.deep.equal(joined);
      expect(fast.length).to.equal(Math.min(k, 4)); // the 3 photos and the video named lighthouse-tour
    }
    expect(library.keywordSearch('image', 'lighthouse', { k: 10 }).map((h) => h.id)).to.include(photos);
    expect(
      library.keywordSearch('image', 'lighthouse', { k: 10, filter: { kinds: ['image'] } }),
    ).to.have.length(3);
    expect(library.keywordSearch('text', 'lighthouse', { k: 100 })).to.have.length(60);
    // Equal scores come in id order.
    const texts = library.keywordSearch('text', 'lighthouse', { k: 100 });
    for (let i = 1; i < texts.length; i++) {
      const [a, b] = [texts[i - 1]!, texts[i]!];
      expect(a.score > b.score || (a.score === b.score && a.id < b.id), `${a.id} before ${b.id}`).to.equal(
        true,
      );
    }
  });

  it('finds a video by the words of its file name, as a video (not as shots)', () => {
    const videoId = library.findByUri(rootId, 'clips/lighthouse-tour.mp4')!.id;
    expect(library.keywordSearch('image', 'tour', { k: 5 }).map((h) => h.id)).to.deep.equal([videoId]);
    expect(library.keywordSearch('image', 'tour', { k: 5, filter: { kinds: ['video'] } })).to.have.length(1);
    expect(library.keywordSearch('image', 'tour', { k: 5, filter: { kinds: ['image'] } })).to.deep.equal([]);
  });

  it('collapses shots into one hit per video, reads deeper to fill the page, and fuses videos with their words', async () => {
    const text: TextEncoder = {
      dim: DIM,
      modelId: 'fake',
      contextLength: 8,
      encodeOne: () => Promise.resolve(axis),
      encodeBatch: (t) => Promise.resolve(t.map(() => axis)),
    };
    const unused = (): never => {
      throw new Error('unused');
    };
    const image: ImageEncoder = { dim: DIM, modelId: 'fake', encodeOne: unused, encodeBatch: unused };
    const service = new SearchService({
      text,
      image,
      preprocessor: { preprocess: unused } as unknown as ImagePreprocessor,
      library,
    });
    const tour = library.findByUri(rootId, 'clips/lighthouse-tour.mp4')!.id;
    const ferry = library.findByUri(rootId, 'clips/ferry.mp4')!.id;
    // The 60 best vector hits are shots of two videos: the page of 4 needs the deeper read.
    const page = await service.search({ target: 'image', terms: [{ text: 'sea' }], k: 4, mode: 'vector' });
    const ids = page.results.map((h) => h.item.id);
    expect(new Set(ids).size).to.equal(4);
    expect(ids.slice(0, 2)).to.have.members([tour, ferry]);
    for (const hit of page.results.slice(0, 2)) expect(hit.shot?.videoId).to.equal(hit.item.id);
    expect(page.results[2]!.item.uri).to.match(/^near\/photo-/);
    expect(page.nextCursor).to.not.equal(null);
    // Exact expectation: every shot and photo by cosine, shots collapsed to their video.
    const all = library.search('image', axis, { k: 200 });
    const shots = library.shotsByIds(all.map((h) => h.id));
    const expected: number[] = [];
    for (const h of all) {
      const id = shots.get(h.id)?.videoId ?? h.id;
      if (!expected.includes(id)) expected.push(id);
    }
    expect(ids).to.deep.equal(expected.slice(0, 4));
    // Hybrid: "tour" names one video; it is found by both legs and explained by its name.
    const hybrid = await service.search({ target: 'image', terms: [{ text: 'tour' }], k: 4 });
    const top = hybrid.results.find((h) => h.item.id === tour)!;
    expect(top.scores?.keyword).to.be.a('number');
    expect(top.scores?.vector).to.be.a('number');
    expect(top.matched).to.deep.equal(['name']);
    expect(hybrid.results[0]!.item.id).to.equal(tour);
  });
});
