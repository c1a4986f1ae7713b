/**
 * A video's capture date is the container's creation_time (ffprobe), not the file's mtime: real
 * videos generated with ffmpeg, indexed by the real CLI, then sorted and filtered by date taken
 * beside a photo whose EXIF date and mtime disagree.
 */
import { expect } from 'chai';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { imageWithMetadata } from '../helpers/photo-metadata-bytes.ts';
import { makeLavfiVideo, videoTools } from '../helpers/video-generator.ts';
import { cleanup, clipdexJson, tempDir } from './indexer-helpers.ts';

interface Hit {
  uri: string;
  kind: string;
  takenAt: string | null;
  takenAtSource: string | null;
}

describe('e2e: videos are dated by their creation_time (ffmpeg)', function () {
  this.timeout(180_000);
  let dir: string;
  let library: string;
  const seconds = (iso: string): number => Date.parse(iso) / 1000;

  before(async () => {
    dir = await tempDir();
    const media = path.join(dir, 'media');
    await mkdir(media);
    const tools = videoTools();
    // Filmed in 2019, but the file was copied in 2025: mtime says newest.
    await makeLavfiVideo(
      path.join(media, 'filmed.mp4'),
      'testsrc=s=160x90:r=10',
      { seconds: 2, gop: 10, extra: ['-metadata', 'creation_time=2019-07-14T18:30:00Z'] },
      tools,
    );
    await utimes(
      path.join(media, 'filmed.mp4'),
      seconds('2025-01-01T00:00:00Z'),
      seconds('2025-01-01T00:00:00Z'),
    );
    // No creation_time: the mtime (2017) is all there is.
    await makeLavfiVideo(
      path.join(media, 'undated.mp4'),
      'testsrc2=s=160x90:r=10',
      { seconds: 2, gop: 10 },
      tools,
    );
    await utimes(
      path.join(media, 'undated.mp4'),
      seconds('2017-03-03T00:00:00Z'),
      seconds('2017-03-03T00:00:00Z'),
    );
    // A photo taken in 2021 (EXIF) whose mtime says 2010.
    await writeFile(
      path.join(media, 'photo.jpg'),
      await imageWithMetadata('jpeg', { exif: { dateTimeOriginal: '2021:05:01 10:00:00' } }),
    );
    await utimes(
      path.join(media, 'photo.jpg'),
      seconds('2010-01-01T00:00:00Z'),
      seconds('2010-01-01T00:00:00Z'),
    );
    library = path.join(dir, 'lib');
    const report = await clipdexJson<{ videos: { indexed: number; failed: number } }>([
      'index',
      media,
      '--library',
      library,
    ]);
    expect(report.videos).to.include({ indexed: 2, failed: 0 });
  });
  after(() => cleanup(dir));

  const search = async (...extra: string[]): Promise<Hit[]> =>
    (
      await clipdexJson<{ results: Hit[] }>([
        'search',
        'a test pattern',
        '--library',
        library,
        '--mode',
        'vector',
        '--k',
        '10',
        ...extra,
      ])
    ).results;

  it('reports takenAt from creation_time with source "video", else the mtime with source "file"', async () => {
    const byUri = new Map((await search()).map((h) => [h.uri, h]));
    expect(byUri.get('filmed.mp4')).to.include({
      kind: 'video',
      takenAt: '2019-07-14T18:30:00+00:00',
      takenAtSource: 'video',
    });
    expect(byUri.get('undated.mp4')).to.include({
      kind: 'video',
      takenAt: '2017-03-03T00:00:00.000Z',
      takenAtSource: 'file',
    });
    expect(byUri.get('photo.jpg')).to.include({ takenAt: '2021-05-01T10:00:00', takenAtSource: 'exif' });
  });

  it('sort taken orders by capture date although the mtimes say the opposite', async () => {
    expect((await search('--sort', 'taken')).map((h) => h.uri)).to.deep.equal([
      'photo.jpg',
      'filmed.mp4',
      'undated.mp4',
    ]);
  });

  it('takenAfter/takenBefore filter a video by its creation_time (through its shots)', async () => {
    const in2019 = await search('--taken-after', '2019-01-01', '--taken-before', '2020-01-01');
    expect(in2019.map((h) => h.uri)).to.deep.equal(['filmed.mp4']);
    const before2018 = await search('--taken-before', '2018-01-01');
    expect(before2018.map((h) => h.uri)).to.deep.equal(['undated.mp4']);
  });
});
