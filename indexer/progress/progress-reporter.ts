/**
 * Shows a run's progress: a live bar on a terminal (files/s, images/s, ETA, failures), a plain
 * line every few seconds in logs, nothing for --json. Reads the run's live counters on a
 * timer, so the pipeline never waits on the terminal.
 */
import cliProgress from 'cli-progress';
import type { IndexStats } from '../pipeline/index-stats.ts';

export type ProgressMode = 'bar' | 'lines' | 'silent';

export interface ProgressReporter {
  start(stats: IndexStats): void;
  stop(): void;
}

export function createProgressReporter(
  mode: ProgressMode,
  stream: NodeJS.WritableStream,
  intervalMs = mode === 'bar' ? 200 : 5000,
): ProgressReporter {
  let timer: NodeJS.Timeout | undefined;
  let bar: cliProgress.SingleBar | undefined;
  let started = 0;
  let stats: IndexStats | undefined;

  const snapshot = () => {
    const s = stats!;
    const secs = Math.max((performance.now() - started) / 1000, 1e-3);
    const done = s.filesDone;
    const total = s.filesTotal ?? Math.max(s.filesSeen, done);
    const fileRate = done / secs;
    const imageRate = (s.images.indexed + s.images.reused) / secs;
    const left =
      s.filesTotal === undefined || fileRate === 0 ? undefined : Math.max(0, total - done) / fileRate;
    const failed = s.images.failed + s.texts.failed + s.videos.failed;
    return { done, total, fileRate, imageRate, left, failed, texts: s.texts.indexed + s.texts.reused };
  };

  const tick = () => {
    const p = snapshot();
    if (bar) {
      bar.setTotal(Math.max(p.total, 1));
      bar.update(p.done, {
        files: p.fileRate.toFixed(1),
        images: p.imageRate.toFixed(1),
        etaText: formatDuration(p.left),
        failed: p.failed,
        totalLabel: stats?.filesTotal === undefined ? `${p.total}+` : String(p.total),
      });
    } else if (mode === 'lines') {
      stream.write(
        `indexing: ${p.done}/${stats?.filesTotal ?? '?'} files, ${p.fileRate.toFixed(1)} files/s, ${p.imageRate.toFixed(1)} images/s, ` +
          `${p.texts} texts, ${p.failed} failed, ETA ${formatDuration(p.left)}\n`,
      );
    }
  };

  return {
    start(s) {
      stats = s;
      started = performance.now();
      if (mode === 'silent') return;
      if (mode === 'bar') {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format:
              '{bar} {value}/{totalLabel} files | {files} files/s | {images} img/s | ETA {etaText} | failed {failed}',
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(1, 0, { files: '0.0', images: '0.0', etaText: '?', failed: 0, totalLabel: '?' });
      }
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (stats && mode !== 'silent') tick();
      bar?.stop();
      bar = undefined;
    },
  };
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
