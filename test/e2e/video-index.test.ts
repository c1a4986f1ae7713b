/**
 * Videos end to end with the real CLI, ffmpeg and the bundled model: generated videos of known
 * emoji (hard cuts, 1 s cross-fades, 360p and 1080p, 24/30/60 fps, variable frame rate, rotation
 * metadata) are indexed; shot boundaries must match the cuts (F1 ≥ 0.95 within 0.5 s) and each
 * shot's concept, as words, must find its video first with `start` inside that shot (≥ 95%).
 */
import { expect } from 'chai';
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openEngine } from '../../src/engine.ts';
import { bundledModelDir } from '../../src/model/bundled-model.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { boundaryScore } from '../helpers/video-goals.ts';
import {
  conceptShots,
  DEMO_IMAGES,
  makeVideo,
  type GroundTruth,
  type VideoSpec,
} from '../helpers/video-generator.ts';
import { startTestServer } from './server-harness.ts';
import { cleanup, clipdex, clipdexJson, tempDir } from './indexer-helpers.ts';

interface Hit {
  id: number;
  kind: string;
  uri: string;
  score: number;
  start?: number;
  end?: number;
}

const VIDEOS: Record<string, VideoSpec & { cuts: 'hard' | 'fade' }> = {
  'cuts-360p30.mp4': {
    shots: conceptShots(4, (i) => 2 + (i % 2)),
    width: 640,
    height: 360,
    fps: 30,
    cuts: 'hard',
  },
  'fades-360p24.mkv': {
    shots: conceptShots(3, 3, 4),
    width: 640,
    height: 360,
    fps: 24,
    transition: 'fade',
    cuts: 'fade',
  },
  'phone-vfr.mov': {
    shots: conceptShots(3, 2.5, 7),
    width: 640,
    height: 360,
    fps: 30,
    vfr: true,
    gop: 30,
    cuts: 'hard',
  },
  'rotated.mp4': {
    shots: conceptShots(2, 2.5, 10),
    width: 360,
    height: 640,
    fps: 30,
    rotate: 90,
    cuts: 'hard',
  },
  'full-hd-60.mp4': {
    shots: conceptShots(3, 1.6, 12),
    width: 1920,
    height: 1080,
    fps: 60,
    gop: 60,
    noise: 2,
    cuts: 'hard',
  },
};

describe('videos: shots found, searchable, with timestamps (e2e, ffmpeg)', function () {
  this.timeout(240_000);
  let dir: string;
  let library: string;
  const truth = new Map<string, GroundTruth>();

  before(async () => {
    dir = await tempDir();
    const media = path.join(dir, 'media');
    await mkdir(media);
    for (const [name, spec] of Object.entries(VIDEOS)) {
      truth.set(name, await makeVideo(path.join(media, name), spec));
    }
    // A photo and some texts beside the videos: image→video and shot→text similarity.
    await copyFile(path.join(DEMO_IMAGES, 'rocket-noto.png'), path.join(media, 'rocket.png'));
    await writeFile(path.join(dir, 'concepts.txt'), ['rocket', 'pizza', 'snowman', 'fish'].join('\n') + '\n');
    library = path.join(dir, 'lib');
    const report = await clipdexJson<{ videos: { indexed: number; failed: number }; shots: number }>([
      'index',
      media,
      path.join(dir, 'concepts.txt'),
      '--library',
      library,
    ]);
    expect(report.videos).to.include({ indexed: Object.keys(VIDEOS).length, failed: 0 });
  });
  after(() => cleanup(dir));

  it('finds hard cuts within 0.5 s (F1 ≥ 0.95) and keeps duration, codec, frame rate and display size', async () => {
    const lib = await openLibrary(library, { readOnly: true });
    try {
      let detected: number[] = [];
      let expected: number[] = [];
      for (const [name, spec] of Object.entries(VIDEOS)) {
        const item = lib.findByUri(lib.listRoots()[0]!.id, name)!;
        expect(item, name).to.include({ kind: 'video', status: 'indexed' });
        const shots = lib.shotsOf(item.id);
        const gt = truth.get(name)!;
        expect(shots[0]!.start).to.equal(0);
        expect(shots[shots.length - 1]!.end).to.be.closeTo(gt.duration, 0.6);
        if (spec.cuts === 'hard') {
          // Offset each video so boundaries of different videos never match each other.
          const offset = detected.length * 1000 + Object.keys(VIDEOS).indexOf(name) * 10_000;
          detected = [...detected, ...shots.slice(1).map((s) => s.start + offset)];
          expected = [...expected, ...gt.cuts.map((c) => c + offset)];
        }
        const meta = item.metadata as { duration: number; codec: string; fps: number };
        expect(meta.duration, name).to.be.closeTo(gt.duration, 0.3);
        expect(meta.codec).to.be.oneOf(['h264']);
        if (!spec.vfr) expect(meta.fps, name).to.be.closeTo(spec.fps, 0.5);
        expect([item.width, item.height], name).to.deep.equal([spec.width, spec.height]);
      }
      const score = boundaryScore(detected, expected, 0.5);
      expect(score.f1, JSON.stringify(score)).to.be.at.least(0.95);
    } finally {
      await lib.close();
    }
  });

  it("finds each shot's concept as the top video hit, with start inside that shot (≥ 95%)", async () => {
    // In process (one model load) rather than one CLI run per query; the CLI's JSON is checked below.
    const engine = await openEngine({
      libraryDir: library,
      modelDir: bundledModelDir(),
      readOnly: true,
      threads: 1,
    });
    let asked = 0;
    let right = 0;
    const misses: string[] = [];
    try {
      for (const [name, gt] of truth) {
        for (const shot of gt.shots) {
          asked += 1;
          const page = await engine.search.search({
            target: 'image',
            terms: [{ text: shot.concept }],
            k: 3,
            filter: { kinds: ['video'] },
          });
          const top = page.results[0];
          const start = top?.shot?.start;
          if (
            top?.item.uri === name &&
            start !== undefined &&
            start >= shot.start - 0.5 &&
            start < shot.end
          ) {
            right += 1;
          } else {
            misses.push(
              `${shot.concept} in ${name} [${shot.start}, ${shot.end}) → ${top?.item.uri ?? 'nothing'} @ ${start}`,
            );
          }
        }
      }
    } finally {
      await engine.close();
    }
    expect(right / asked, misses.join('; ')).to.be.at.least(0.95);
    const { results } = await clipdexJson<{ results: Hit[] }>([
      'search',
      'rocket',
      '--library',
      library,
      '--kinds',
      'video',
      '--k',
      '2',
    ]);
    expect(results[0]).to.include({ kind: 'video', uri: 'cuts-360p30.mp4' });
    expect(results[0]!.start).to.be.closeTo(2, 0.5);
    expect(results[0]!.end).to.be.greaterThan(results[0]!.start!);
  });

  it('serves video hits, scored shots, byte ranges, shot thumbnails, and similar across kinds', async () => {
    const server = await startTestServer(library);
    const get = async <T>(url: string): Promise<T> => {
      const res = await fetch(server.base + url);
      expect(res.status, url).to.equal(200);
      return (await res.json()) as T;
    };
    try {
      const { results } = await get<{
        results: (Hit & { thumbnailUrl: string; fileUrl: string; shotId: number })[];
      }>('/api/search?q=rocket&kinds=video&k=3');
      const hit = results[0]!;
      expect(hit).to.include({ kind: 'video', uri: 'cuts-360p30.mp4', fileUrl: `/api/items/${hit.id}/file` });
      expect(hit.start).to.be.closeTo(2, 0.5);
      expect(hit.end).to.be.greaterThan(hit.start!);
      expect(hit.thumbnailUrl).to.equal(
        `/api/items/${hit.shotId}/thumbnail?v=${/v=(.*)$/.exec(hit.thumbnailUrl)![1]}`,
      );
      const thumb = await fetch(`${server.base}${hit.thumbnailUrl}&size=64`);
      expect(thumb.status).to.equal(200);
      expect(thumb.headers.get('content-type')).to.match(/^image\//);

      const shots = await get<{ shots: { id: number; start: number; end: number; score: number }[] }>(
        `/api/items/${hit.id}/shots?q=rocket`,
      );
      expect(shots.shots.length).to.be.at.least(4);
      const best = [...shots.shots].sort((a, b) => b.score - a.score)[0]!;
      expect(best.start).to.be.closeTo(2, 0.5);
      expect(
        (await get<{ shots: { score?: number }[] }>(`/api/items/${hit.id}/shots`)).shots[0]!.score,
      ).to.equal(undefined);

      // Seeking: byte ranges on the file.
      const part = await fetch(server.base + hit.fileUrl, { headers: { Range: 'bytes=0-99' } });
      expect(part.status).to.equal(206);
      expect(part.headers.get('content-range')).to.match(/^bytes 0-99\/\d+$/);
      expect(part.headers.get('content-type')).to.equal('video/mp4');
      expect((await part.arrayBuffer()).byteLength).to.equal(100);

      // A shot → texts, a photo → videos; kinds=image leaves videos out.
      const texts = await get<{ results: { text: string }[] }>(
        `/api/items/${hit.shotId}/similar?target=text&k=2`,
      );
      expect(texts.results[0]?.text).to.equal('rocket');
      const photo = (await get<{ results: Hit[] }>('/api/search?q=rocket&kinds=image&k=5')).results;
      expect(photo.every((h) => h.kind === 'image')).to.equal(true);
      const fromPhoto = await get<{ results: Hit[] }>(
        `/api/items/${photo[0]!.id}/similar?target=image&kinds=video&k=1`,
      );
      expect(fromPhoto.results[0]).to.include({ kind: 'video', uri: 'cuts-360p30.mp4' });
    } finally {
      await server.close();
    }
  });

  it('re-indexing does nothing; a moved video keeps its id and shots', async () => {
    const media = path.join(dir, 'media');
    const again = await clipdexJson<{ videos: { unchanged: number; indexed: number } }>([
      'index',
      media,
      path.join(dir, 'concepts.txt'),
      '--library',
      library,
    ]);
    expect(again.videos).to.include({ unchanged: Object.keys(VIDEOS).length, indexed: 0 });
    await mkdir(path.join(media, 'moved'));
    await rename(path.join(media, 'rotated.mp4'), path.join(media, 'moved', 'turned.mp4'));
    const moved = await clipdexJson<{ videos: { moved: number; indexed: number; deleted: number } }>([
      'index',
      media,
      '--library',
      library,
    ]);
    expect(moved.videos).to.include({ moved: 1, indexed: 0, deleted: 0 });
    const { results } = await clipdexJson<{ results: Hit[] }>([
      'search',
      'fish',
      '--library',
      library,
      '--kinds',
      'video',
      '--k',
      '1',
    ]);
    expect(results[0]?.uri).to.equal('moved/turned.mp4');
  });

  it('status says which ffmpeg it uses and counts videos and shots', async () => {
    const status = await clipdexJson<{
      videos: { indexed: number; shots: number };
      ffmpeg: { found: boolean; version: string };
    }>(['status', '--library', library]);
    expect(status.ffmpeg.found).to.equal(true);
    expect(status.ffmpeg.version).to.match(/ffmpeg version/);
    expect(status.videos.indexed).to.equal(Object.keys(VIDEOS).length);
    expect(status.videos.shots).to.be.at.least(12);
    const r = await clipdex(['search', 'pizza', '--library', library, '--kinds', 'image,video', '--k', '1']);
    expect(r.stdout).to.match(/cuts-360p30\.mp4 {2}@ 0:00\.0–/);
  });
});
