/**
 * `clipdex status --library <dir>`: item counts by status for images and texts, the model the
 * library holds and the last indexing run. Opens the library read-only and loads no model, so
 * it is instant and safe beside a running `clipdex index`.
 */
import path from 'node:path';
import { openLibrary } from '../../src/store/open-library.ts';
import type { IndexingRun, StatusCounts } from '../../src/store/library.types.ts';
import { describeFfmpeg } from '../../src/video/ffmpeg.ts';
import { findFfmpeg } from '../cli-support/find-ffmpeg.ts';
import { writeJson, writeLine, type CommandContext } from '../command-context.ts';

export interface StatusArgs {
  readonly library: string;
  readonly json?: boolean;
}

export async function run(args: StatusArgs, ctx: CommandContext): Promise<void> {
  const dir = path.resolve(ctx.cwd, args.library);
  const library = await openLibrary(dir, { readOnly: true, create: false });
  try {
    const fp = library.fingerprint;
    const status = {
      library: dir,
      images: library.counts('image'),
      texts: library.counts('text'),
      videos: { ...library.counts('video'), shots: library.counts('shot').indexed },
      model: { name: fp.name, id: fp.id, layout: fp.layout, dim: fp.dim },
      roots: library.listRoots().map((r) => r.path),
      lastRun: library.lastRun() ?? null,
      ffmpeg: await ffmpegStatus(ctx.env),
    };
    if (args.json) return writeJson(ctx.stdout, status);
    writeLine(ctx.stdout, `library ${dir}`);
    writeLine(ctx.stdout, `model   ${fp.name} (${fp.layout}, ${fp.dim}-d, id ${fp.id})`);
    writeLine(ctx.stdout, `images  ${formatCounts(status.images)}`);
    writeLine(ctx.stdout, `texts   ${formatCounts(status.texts)}`);
    writeLine(ctx.stdout, `videos  ${formatCounts(status.videos)} (${status.videos.shots} shots)`);
    const ff = status.ffmpeg;
    writeLine(
      ctx.stdout,
      `ffmpeg  ${ff.found ? `${ff.version} (${ff.source}: ${ff.ffmpeg})` : `missing: ${ff.reason}`}`,
    );
    for (const r of status.roots) writeLine(ctx.stdout, `root    ${r}`);
    writeLine(ctx.stdout, `last run ${formatRun(status.lastRun)}`);
  } finally {
    await library.close();
  }
}

type FfmpegStatus =
  | {
      readonly found: true;
      readonly source: string;
      readonly ffmpeg: string;
      readonly ffprobe: string;
      readonly version: string;
    }
  | { readonly found: false; readonly reason: string };

/** Which ffmpeg `clipdex index` would use for videos, and its version. */
async function ffmpegStatus(env: CommandContext['env']): Promise<FfmpegStatus> {
  const lookup = findFfmpeg(env);
  if (!lookup.ok) return { found: false, reason: lookup.reason };
  const described = await describeFfmpeg(lookup.tools).catch(() => lookup.tools);
  const { ffmpeg, ffprobe, source } = lookup.tools;
  return {
    found: true,
    source,
    ffmpeg,
    ffprobe,
    version: described.version ?? 'unknown version (ffmpeg -version failed)',
  };
}

function formatCounts(c: StatusCounts): string {
  return `${c.indexed} indexed, ${c.failed} failed, ${c.pending} pending, ${c.deleted} deleted`;
}

function formatRun(run: IndexingRun | null): string {
  if (!run) return 'none';
  const when = new Date(run.startedAt).toISOString();
  const secs = run.finishedAt === null ? '' : ` in ${((run.finishedAt - run.startedAt) / 1000).toFixed(1)}s`;
  const s = run.stats;
  const done =
    s['images.indexed'] === undefined
      ? ''
      : `: ${s['images.indexed']} images, ${s['texts.indexed'] ?? 0} texts indexed, ${(s['images.failed'] ?? 0) + (s['texts.failed'] ?? 0)} failed`;
  return `#${run.id} ${run.state} (started ${when}${secs})${done}`;
}
