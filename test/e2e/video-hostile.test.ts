/**
 * Hostile videos: each is recorded as failed with a reason, or indexed as far as it can be read;
 * the run finishes, and neither clipdex nor ffmpeg grows without bound (8K frames, a 10-hour
 * file under a short decoding budget).
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { copyFile, mkdir, open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { openLibrary } from '../../src/store/open-library.ts';
import {
  DEMO_IMAGES,
  conceptShots,
  makeLavfiVideo,
  makeVideo,
  runFfmpeg,
  videoTools,
} from '../helpers/video-generator.ts';
import { cleanup, spawnClipdex, tempDir } from './indexer-helpers.ts';

/** Resident memory of a process and its descendants (kB), from /proc. */
function rssTree(root: number): Map<number, number> {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const out = new Map<number, number>();
  const walk = (pid: number): void => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) out.set(pid, Number(m[1]));
    } catch {
      return;
    }
    for (const [child, p] of parent) if (p === pid) walk(child);
  };
  walk(root);
  return out;
}

describe('e2e: hostile videos', function () {
  this.timeout(300_000);
  let dir: string;
  after(() => cleanup(dir));

  it('fails each with a reason or indexes it as far as readable; the run finishes with bounded memory', async () => {
    dir = await tempDir();
    const media = path.join(dir, 'media');
    await mkdir(media);
    const tools = videoTools();
    await writeFile(path.join(media, 'zero-length.mp4'), '');
    await copyFile(path.join(DEMO_IMAGES, 'pizza-noto.png'), path.join(media, 'still-image.mp4'));
    await runFfmpeg(tools, [
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=2',
      '-c:a',
      'aac',
      path.join(media, 'audio-only.mp4'),
    ]);
    const small = { shots: conceptShots(3, 2), width: 320, height: 180, fps: 25 };
    await makeVideo(path.join(media, 'truncated.mp4'), small, tools);
    await truncate(
      path.join(media, 'truncated.mp4'),
      Math.floor((await stat(path.join(media, 'truncated.mp4'))).size * 0.6),
    );
    await makeVideo(path.join(media, 'corrupt-moov.mp4'), small, tools);
    const moov = await readFile(path.join(media, 'corrupt-moov.mp4'));
    const at = moov.indexOf('moov');
    const handle = await open(path.join(media, 'corrupt-moov.mp4'), 'r+');
    await handle.write(Buffer.alloc(400, 0xab), 0, 400, at + 40); // garbage inside the movie header
    await handle.close();
    await makeLavfiVideo(path.join(media, 'huge-8k.mp4'), 'color=c=red:s=7680x4320:r=2', {
      seconds: 1,
      gop: 2,
    });
    await makeLavfiVideo(path.join(media, 'ten-hours.mkv'), 'color=c=blue:s=64x36:r=0.2', {
      seconds: 36_000,
    });

    const lib = path.join(dir, 'lib');
    const child = spawnClipdex([
      'index',
      media,
      '--library',
      lib,
      '--threads',
      '1',
      '--video-timeout',
      '20',
      '--json',
    ]);
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = once(child, 'exit');
    let peakClipdex = 0;
    let peakFfmpeg = 0;
    const timer = setInterval(() => {
      const tree = rssTree(child.pid!);
      for (const [pid, kb] of tree) {
        if (pid === child.pid) peakClipdex = Math.max(peakClipdex, kb);
        else peakFfmpeg = Math.max(peakFfmpeg, kb);
      }
    }, 100);
    const [code] = (await exited) as [number | null];
    clearInterval(timer);
    expect(code, stdout).to.equal(0);
    const report = JSON.parse(stdout) as { state: string; videos: Record<string, number> };
    expect(report.state).to.equal('finished');
    expect(peakClipdex, 'clipdex resident memory (kB)').to.be.below(1_500_000);
    expect(peakFfmpeg, 'largest child resident memory (kB)').to.be.below(2_000_000);

    const library = await openLibrary(lib, { readOnly: true });
    try {
      const root = library.listRoots()[0]!.id;
      const item = (name: string) => library.findByUri(root, name)!;
      expect(item('zero-length.mp4')).to.include({ status: 'failed', error: 'empty file (0 bytes)' });
      expect(item('still-image.mp4').error).to.match(/still image/);
      expect(item('audio-only.mp4').error).to.match(/audio only/);
      expect(item('corrupt-moov.mp4').status).to.equal('failed');
      expect(item('corrupt-moov.mp4').error).to.be.a('string').and.not.equal('');
      // Truncated: what was written before the cut is there, and says it is partial.
      const truncated = item('truncated.mp4');
      if (truncated.status === 'indexed') expect(library.shotsOf(truncated.id).length).to.be.at.least(1);
      else expect(truncated.error).to.be.a('string').and.not.equal('');
      const huge = item('huge-8k.mp4');
      expect(huge, huge.error ?? '').to.include({ status: 'indexed', width: 7680, height: 4320 });
      const long = item('ten-hours.mkv');
      expect(long.status, long.error ?? '').to.equal('indexed');
      expect((long.metadata as { duration: number }).duration).to.be.closeTo(36_000, 10);
      expect(library.shotsOf(long.id).length).to.be.within(1, 1000);
    } finally {
      await library.close();
    }
  });
});
