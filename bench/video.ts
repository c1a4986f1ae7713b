/**
 * bench/video: how fast `clipdex index` turns video into searchable shots, beside plain decoding.
 *
 *   npx tsx bench/video.ts [--seconds 60] [--runs 3] [--sparse-hours 2] [--cpu 0]
 *
 * Generates (once, into bench/.data/video/) a 1080p30 H.264 clip of demo-emoji shots with 1 s
 * keyframes and sensor-like noise (a phone's structure), and a long sparse 360p video. Pinned to
 * one CPU with taskset when available (--cpu), it times, per run (median of --runs):
 *   1. plain decode: `ffmpeg -threads 1 -i clip -f null -` (every frame, full size);
 *   2. keyframe-only decode, the cheapest possible look at the video;
 *   3. `clipdex index` of the clip into a fresh library (probe, decode, cuts, keyframes, encode, write).
 * and prints each as × real time (video seconds per wall second) and CPU seconds (children's).
 * Goal: index ≥ 20× real time for 1080p30 on one core.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { conceptShots, makeVideo, videoTools } from '../test/helpers/video-generator.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    runs: { type: 'string', default: '3' },
    'sparse-hours': { type: 'string', default: '2' },
    cpu: { type: 'string', default: '0' },
  },
});
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const sparseHours = Number(values['sparse-hours']);
const REPO = fileURLToPath(new URL('../', import.meta.url));
const DATA = path.join(REPO, 'bench', '.data', 'video');
const tools = videoTools();
const pin = spawnSync('taskset', ['--version']).status === 0 ? ['taskset', '-c', values.cpu] : [];

/** Children's CPU seconds so far (user + system of reaped descendants), from /proc/self/stat. */
function childCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks
}

function timed(cmd: readonly string[]): { wall: number; cpu: number; out: string } {
  const cpu0 = childCpu();
  const t0 = performance.now();
  const all = [...pin, ...cmd];
  const r = spawnSync(all[0]!, all.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  return { wall: (performance.now() - t0) / 1000, cpu: childCpu() - cpu0, out: r.stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await mkdir(DATA, { recursive: true });
  const clip = path.join(DATA, `hd-${seconds}s.mp4`);
  if (!existsSync(clip)) {
    console.log(`generating ${clip} …`);
    await makeVideo(
      clip,
      {
        shots: conceptShots(Math.ceil(seconds / 6), 6),
        width: 1920,
        height: 1080,
        fps: 30,
        gop: 30,
        noise: 6,
        crf: 23,
      },
      tools,
    );
  }
  const sparse = path.join(DATA, `sparse-${sparseHours}h.mp4`);
  if (sparseHours > 0 && !existsSync(sparse)) {
    console.log(`generating ${sparse} …`);
    await makeVideo(
      sparse,
      {
        shots: conceptShots(4, (sparseHours * 3600) / 4),
        width: 640,
        height: 360,
        fps: 5,
        gop: 50,
        noise: 0,
      },
      tools,
    );
  }
  const bytes = readFileSync(clip).length;
  console.log(
    `clip: 1920×1080 30 fps H.264, ${seconds} s, ${((bytes * 8) / seconds / 1e6).toFixed(1)} Mbit/s; ${pin.length ? `pinned to CPU ${values.cpu}` : 'not pinned (no taskset)'}; ${os.cpus().length} CPUs on the machine`,
  );

  const rows: Record<string, { wall: number[]; cpu: number[] }> = {
    'plain decode (all frames)': { wall: [], cpu: [] },
    'keyframe-only decode': { wall: [], cpu: [] },
    'clipdex index': { wall: [], cpu: [] },
  };
  for (let i = 0; i < runs; i++) {
    const plain = timed([
      tools.ffmpeg,
      '-nostdin',
      '-v',
      'error',
      '-threads',
      '1',
      '-i',
      clip,
      '-f',
      'null',
      '-',
    ]);
    rows['plain decode (all frames)']!.wall.push(plain.wall);
    rows['plain decode (all frames)']!.cpu.push(plain.cpu);
    const keys = timed([
      tools.ffmpeg,
      '-nostdin',
      '-v',
      'error',
      '-threads',
      '1',
      '-skip_frame',
      'nokey',
      '-i',
      clip,
      '-f',
      'null',
      '-',
    ]);
    rows['keyframe-only decode']!.wall.push(keys.wall);
    rows['keyframe-only decode']!.cpu.push(keys.cpu);
    const lib = await mkdtemp(path.join(os.tmpdir(), 'clipdex-bench-video-'));
    try {
      const index = timed([
        process.execPath,
        path.join(REPO, 'bin', 'clipdex.js'),
        'index',
        clip,
        '--library',
        lib,
        '--threads',
        '1',
        '--decode-workers',
        '0',
        '--json',
      ]);
      const report = JSON.parse(index.out) as { videos: { indexed: number }; shots: number };
      if (report.videos.indexed !== 1) throw new Error(`index did not index the clip: ${index.out}`);
      rows['clipdex index']!.wall.push(index.wall);
      rows['clipdex index']!.cpu.push(index.cpu);
      if (i === 0) console.log(`clipdex index: ${report.shots} shots`);
    } finally {
      await rm(lib, { recursive: true, force: true });
    }
  }
  console.log(`\nmedian of ${runs} runs           wall s   × real time   CPU s   × real time per CPU s`);
  for (const [name, r] of Object.entries(rows)) {
    const wall = median(r.wall);
    const cpu = median(r.cpu);
    console.log(
      `${name.padEnd(28)} ${wall.toFixed(2).padStart(7)}   ${(seconds / wall).toFixed(1).padStart(8)}×   ${cpu.toFixed(2).padStart(6)}   ${(seconds / cpu).toFixed(1).padStart(8)}×`,
    );
  }
  const ratio = median(rows['clipdex index']!.wall) / median(rows['plain decode (all frames)']!.wall);
  console.log(`\nclipdex index / plain decode wall time: ${ratio.toFixed(2)} (goal: index ≥ 20× real time)`);

  if (sparseHours > 0) {
    const lib = await mkdtemp(path.join(os.tmpdir(), 'clipdex-bench-video-'));
    try {
      const index = timed([
        process.execPath,
        path.join(REPO, 'bin', 'clipdex.js'),
        'index',
        sparse,
        '--library',
        lib,
        '--threads',
        '1',
        '--decode-workers',
        '0',
        '--json',
      ]);
      const report = JSON.parse(index.out) as { shots: number };
      console.log(
        `\n${sparseHours}-hour sparse video (4 shots, 360p 5 fps): indexed in ${index.wall.toFixed(1)} s wall, ${index.cpu.toFixed(1)} CPU s (${((sparseHours * 3600) / index.wall).toFixed(0)}× real time), ${report.shots} shots`,
      );
    } finally {
      await rm(lib, { recursive: true, force: true });
    }
  }
}

await main();
