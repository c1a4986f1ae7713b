/** How `clipdex index` reports a finished run: a JSON document for scripts, a few lines for people. */
import type { ThreadChoice } from '../../src/encoders/thread-calibration.ts';
import type { Item } from '../../src/store/library.types.ts';
import type { IndexSummary } from '../../indexer/pipeline/index-run.ts';

export interface IndexReport {
  readonly state: IndexSummary['state'];
  readonly runId: number;
  readonly seconds: number;
  readonly library: string;
  readonly model: { readonly name: string; readonly id: string; readonly executionProvider: string };
  readonly images: IndexSummary['stats']['images'];
  readonly texts: IndexSummary['stats']['texts'];
  /** Video files, and the shots written for them. */
  readonly videos: IndexSummary['stats']['videos'];
  readonly shots: number;
  readonly filesSeen: number;
  readonly pairs: number;
  readonly captionsWithoutImage: number;
  /** k-NN queries run to keep duplicate groups current (one per new image). */
  readonly neighbourQueries: number;
  readonly imagesPerSecond: number;
  /** What the run used of the machine, and why (absent when the caller did not say). */
  readonly resources?: IndexResources;
  /** Items currently failed in the library (this run's and earlier), first 100. */
  readonly failures: ReadonlyArray<{
    readonly uri: string;
    readonly kind: string;
    readonly error: string | null;
  }>;
}

export interface IndexResources {
  /** CPUs available to the process (affinity and cgroup quota applied). */
  readonly cpus: number;
  /** ONNX intra-op threads per tower and how they were chosen. */
  readonly encoderThreads: {
    readonly text: Omit<ThreadChoice, 'trials'>;
    readonly vision: Omit<ThreadChoice, 'trials'>;
  };
  readonly decodeWorkers: {
    readonly count: number;
    readonly source: 'flag' | 'default' | 'balanced';
    readonly reason: string;
  };
}

export function buildReport(
  summary: IndexSummary,
  library: string,
  model: IndexReport['model'],
  failed: readonly Item[],
  resources?: IndexResources,
): IndexReport {
  const seconds = summary.elapsedMs / 1000;
  const s = summary.stats;
  return {
    state: summary.state,
    runId: summary.runId,
    seconds: Math.round(seconds * 100) / 100,
    library,
    model,
    images: s.images,
    texts: s.texts,
    videos: s.videos,
    shots: s.shots,
    filesSeen: s.filesSeen,
    pairs: s.pairs,
    captionsWithoutImage: s.captionsWithoutImage,
    neighbourQueries: s.neighbourQueries,
    imagesPerSecond: Math.round(((s.images.indexed + s.images.reused) / Math.max(seconds, 1e-3)) * 10) / 10,
    ...(resources ? { resources } : {}),
    failures: failed.slice(0, 100).map((i) => ({ uri: i.uri, kind: i.kind, error: i.error })),
  };
}

export function formatReport(r: IndexReport): string {
  const i = r.images;
  const t = r.texts;
  const lines = [
    `${r.state === 'finished' ? 'done' : 'interrupted'} in ${r.seconds}s (${r.imagesPerSecond} images/s, model ${r.model.name} on ${r.model.executionProvider})`,
    `images: ${i.indexed} indexed, ${i.reused} reused, ${i.moved} moved, ${i.touched} touched, ${i.unchanged} unchanged, ${i.deleted} deleted, ${i.failed} failed`,
  ];
  const res = r.resources;
  if (res) {
    const enc = res.encoderThreads;
    lines.push(
      `${res.cpus} CPU${res.cpus === 1 ? '' : 's'}: vision encoder ${enc.vision.threads} thread${enc.vision.threads === 1 ? '' : 's'} (${enc.vision.source}: ${enc.vision.reason}), ` +
        `text encoder ${enc.text.threads} (${enc.text.source}: ${enc.text.reason})`,
      `decode workers ${res.decodeWorkers.count} (${res.decodeWorkers.source}: ${res.decodeWorkers.reason})`,
    );
  }
  if (t.indexed + t.reused + t.unchanged + t.deleted + t.failed > 0) {
    lines.push(
      `texts:  ${t.indexed} indexed, ${t.reused} reused, ${t.unchanged} unchanged, ${t.deleted} deleted` +
        (r.pairs && t.indexed + t.reused > 0 ? `, ${r.pairs} caption links` : ''),
    );
  }
  const v = r.videos;
  if (v.indexed + v.moved + v.touched + v.unchanged + v.deleted + v.failed > 0) {
    lines.push(
      `videos: ${v.indexed} indexed (${r.shots} shots), ${v.moved} moved, ${v.touched} touched, ${v.unchanged} unchanged, ${v.deleted} deleted, ${v.failed} failed`,
    );
  }
  if (r.captionsWithoutImage > 0) {
    lines.push(`${r.captionsWithoutImage} captions name an image that is not in the indexed folders`);
  }
  if (i.failed + t.failed + v.failed > 0) {
    lines.push(
      `failed in this run: ${i.failed + t.failed + v.failed} (see \`clipdex failures --library ${r.library}\`):`,
    );
    for (const f of r.failures.slice(0, 10)) lines.push(`  ${f.uri}: ${f.error ?? 'unknown error'}`);
  }
  if (r.state === 'interrupted') {
    lines.push('run `clipdex index` again with the same arguments to continue where it stopped');
  }
  return lines.join('\n');
}
