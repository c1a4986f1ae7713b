/**
 * ffmpeg children never outlive a killed indexer: `kill -9` of the clipdex process while it is
 * decoding a video (nothing of clipdex runs after that), then the ffmpeg it had started must be
 * gone within seconds — its pipes close and its next write fails.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { makeLavfiVideo } from '../helpers/video-generator.ts';
import { cleanup, spawnClipdex, tempDir } from './indexer-helpers.ts';

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly state: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces, so split around the last ')'.
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      out.push({
        pid: Number(name),
        comm: stat.slice(stat.indexOf('(') + 1, close),
        state: state ?? '?',
        ppid: Number(ppid),
      });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function descendants(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  const frontier = [root];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const p of all) {
      if (p.ppid === parent) {
        found.push(p);
        frontier.push(p.pid);
      }
    }
  }
  return found;
}

/** Running (not gone, not a zombie waiting for a reaper). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('e2e: kill -9 of clipdex index while ffmpeg decodes a video', function () {
  this.timeout(120_000);
  let dir: string;
  after(() => cleanup(dir));

  it('leaves no ffmpeg running', async function () {
    if (process.platform !== 'linux') this.skip();
    dir = await tempDir();
    const media = path.join(dir, 'media');
    await mkdir(media);
    // Moving test pattern, sparse keyframes: every frame is decoded, which takes a while.
    await makeLavfiVideo(path.join(media, 'long.mp4'), 'testsrc2=s=320x240:r=25', { seconds: 240, gop: 600 });
    const child = spawnClipdex(['index', media, '--library', path.join(dir, 'lib'), '--threads', '1']);
    const exited = once(child, 'exit');
    let ffmpeg: Proc | undefined;
    for (let i = 0; i < 1200 && !ffmpeg && child.exitCode === null; i++) {
      ffmpeg = descendants(child.pid!).find((p) => p.comm === 'ffmpeg' && p.state !== 'Z');
      if (!ffmpeg) await sleep(50);
    }
    expect(ffmpeg, 'no ffmpeg seen while indexing').to.not.equal(undefined);
    // The process that spawned ffmpeg is the indexer: kill it without any chance to clean up.
    process.kill(ffmpeg!.ppid, 'SIGKILL');
    if (ffmpeg!.ppid !== child.pid) child.kill('SIGKILL');
    await exited;
    let gone = false;
    for (let i = 0; i < 200 && !gone; i++) {
      gone = !running(ffmpeg!.pid);
      if (!gone) await sleep(50);
    }
    expect(gone, `ffmpeg ${ffmpeg!.pid} still running 10 s after its indexer was killed`).to.equal(true);
  });
});
