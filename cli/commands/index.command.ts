/**
 * `clipdex index <path…> --library <dir>`: adds folders of images, text corpora and caption
 * manifests to a library, doing only what changed since the last run. Exits 0 when the run
 * finished, even if some files failed (they are listed); non-zero only if it could not run.
 */
import { linkImages, linkUnlinkedParallel } from '../../src/duplicates/neighbour-links.ts';
import { NeighbourPool } from '../../src/duplicates/neighbour-pool.ts';
import { availableCpus } from '../../src/encoders/cpu-topology.ts';
import type { ThreadChoice } from '../../src/encoders/thread-calibration.ts';
import { openLibrary } from '../../src/store/open-library.ts';
import { writeJson, writeLine, ExitError, type CommandContext } from '../command-context.ts';
import { parseIndexArgs, type IndexArgs } from '../cli-support/index-args.ts';
import { buildReport, formatReport } from '../cli-support/index-report.ts';
import { withLibraryModel } from '../cli-support/library-model.ts';
import { openModel } from '../cli-support/open-model.ts';
import { countImageFiles } from '../../indexer/discovery/count-files.ts';
import { runIndex } from '../../indexer/pipeline/index-run.ts';
import { findFfmpeg } from '../cli-support/find-ffmpeg.ts';
import { PreprocessPool } from '../../indexer/pipeline/preprocess-pool.ts';
import { createProgressReporter } from '../../indexer/progress/progress-reporter.ts';
import { tagVector } from '../../src/tags/zero-shot-tagger.ts';

export async function run(args: IndexArgs, ctx: CommandContext): Promise<void> {
  const stopping = () =>
    writeLine(ctx.stderr, '\nstopping after the current batch… (press Ctrl-C again to force)');
  ctx.signal.addEventListener('abort', stopping, { once: true });
  try {
    await indexRun(args, ctx);
  } finally {
    ctx.signal.removeEventListener('abort', stopping);
  }
}

async function indexRun(args: IndexArgs, ctx: CommandContext): Promise<void> {
  const parsed = await parseIndexArgs(args, ctx.cwd);
  // With decoding sharing the CPUs (workers, or sharp on libuv's threads while the balancer may
  // start workers), idle ONNX threads must sleep, not spin on a core.
  const spinning = parsed.maxDecodeWorkers === 0;
  // Without --model, the model this library remembers (a new library: the bundled one).
  const { model, library } = await withLibraryModel(args, ctx, parsed.libraryDir, async (modelDir) => {
    const model = await openModel({ ...args, model: modelDir }, ctx, { spinning, decode: parsed.decode });
    try {
      return {
        model,
        library: await openLibrary(parsed.libraryDir, { fingerprint: model.fingerprint, modelDir }),
      };
    } catch (error) {
      await model.close();
      throw error;
    }
  });
  for (const w of library.warnings) writeLine(ctx.stderr, `warning: ${w}`);
  try {
    // Balanced (no --decode-workers): 0 workers means the model's own preprocessor on this thread.
    const balanced = !parsed.decodeWorkersSet && parsed.maxDecodeWorkers > 1;
    const pool =
      parsed.maxDecodeWorkers > 0
        ? new PreprocessPool(model.preprocessor.spec, parsed.maxDecodeWorkers, {
            active: parsed.decodeWorkers,
            fidelity: parsed.decode,
            ...(balanced ? { inline: model.preprocessor } : {}),
          })
        : undefined;
    const balance = pool && balanced ? { pool, min: 0, max: parsed.maxDecodeWorkers } : undefined;
    try {
      const progress = createProgressReporter(
        args.json ? 'silent' : ctx.interactive ? 'bar' : 'lines',
        ctx.stderr,
      );
      const warnings: string[] = [];
      // A configured label set (clipdex tag) tags new images as they are written.
      const tagSet = library.tagLabelSet();
      const summary = await runIndex(
        {
          ...parsed,
          video: { ...parsed.videoShots, ffmpeg: findFfmpeg(ctx.env) },
          signal: ctx.signal,
          onWarning: (m) => (warnings.length < 1000 ? warnings.push(m) : undefined),
        },
        library,
        {
          text: model.text,
          image: model.image,
          preprocessor: pool ?? model.preprocessor,
          fingerprint: model.fingerprint,
          ...(model.itm ? { itm: model.itm } : {}),
          ...(pool ? { hash: (b: Uint8Array) => pool.hash(b) } : {}),
          ...(tagSet ? { tag: (v: Float32Array) => tagVector(v, tagSet) } : {}),
          neighbours: {
            link: (ids: readonly number[]) => linkImages(library, ids),
            // Thousands of unlinked images (a library indexed before pairs were stored): on
            // worker threads, each with its own read-only view of the library.
            linkRemaining: async () => {
              const neighbourPool = new NeighbourPool(library.dir);
              try {
                return await linkUnlinkedParallel(library, neighbourPool);
              } finally {
                await neighbourPool.close();
              }
            },
          },
        },
        {
          ...(balance ? { balance } : {}),
          onStart: (stats) => {
            progress.start(stats);
            countImageFiles(parsed.folders, parsed.filter, ctx.signal).then(
              (n) => (stats.filesTotal = n + parsed.imageFiles.length),
              () => undefined,
            );
          },
        },
      ).finally(() => progress.stop());
      const cpus = availableCpus();
      const brief = ({ threads, source, reason }: ThreadChoice) => ({ threads, source, reason });
      const resources = {
        cpus,
        encoderThreads: {
          text: brief(model.details.threads.text),
          vision: brief(model.details.threads.vision),
        },
        decodeWorkers: summary.balance
          ? { count: summary.balance.final, source: 'balanced' as const, reason: summary.balance.reason }
          : {
              count: parsed.decodeWorkers,
              source: parsed.decodeWorkersSet ? ('flag' as const) : ('default' as const),
              reason: parsed.decodeWorkersSet
                ? 'set by --decode-workers'
                : cpus <= 1
                  ? 'one CPU: decoding on the main thread'
                  : parsed.decodeWorkers === 0
                    ? 'main thread (sharp decodes on libuv threads)'
                    : `one per available CPU but one (${cpus} CPUs)`,
            },
      };
      const report = buildReport(
        summary,
        parsed.libraryDir,
        {
          name: model.fingerprint.name,
          id: model.fingerprint.id,
          executionProvider: model.executionProvider,
        },
        library.listFailed(100),
        resources,
      );
      if (args.json) writeJson(ctx.stdout, { ...report, warnings });
      else {
        for (const w of warnings.slice(0, 20)) writeLine(ctx.stderr, `warning: ${w}`);
        writeLine(ctx.stdout, formatReport(report));
      }
      if (summary.state === 'interrupted') throw new ExitError(130, '');
    } finally {
      await pool?.close();
      await library.close();
    }
  } finally {
    await model.close();
  }
}
