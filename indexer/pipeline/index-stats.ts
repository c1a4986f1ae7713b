/**
 * Counters one indexing run keeps, shared by the stages and read by the progress reporter.
 * Plain numbers, so a snapshot is cheap and the final summary is just a copy.
 */
export interface KindStats {
  /** Newly encoded and written. */
  indexed: number;
  /** Written with a vector reused from identical content (copies, duplicate captions). */
  reused: number;
  /** Same content found at a new path: moved, not re-encoded. */
  moved: number;
  /** Unchanged since the last run: skipped without reading (images) or encoding (texts). */
  unchanged: number;
  /** Touched (mtime changed) but same content: metadata updated only. */
  touched: number;
  failed: number;
  deleted: number;
}

export interface IndexStats {
  images: KindStats;
  texts: KindStats;
  /** Video files (issue 14); `shots` counts the shots written for them. */
  videos: KindStats;
  shots: number;
  /** Image files found by discovery (not counting texts). */
  filesSeen: number;
  /** Image files fully handled (skipped, written or failed). */
  filesDone: number;
  /** Image files discovery expects in total, once the counting walk has finished. */
  filesTotal: number | undefined;
  pairs: number;
  /** Caption records whose image could not be found among the indexed folders. */
  captionsWithoutImage: number;
  batches: number;
  /** Milliseconds spent inside the encoders (for the "encoder busy" ratio). */
  encodeMs: number;
  /** Metadata fields left empty because the file's EXIF/XMP/IPTC was broken (each reason is warned). */
  metadataProblems: number;
  /** k-NN queries run to keep duplicate groups current (one per new image, more on a library's first run). */
  neighbourQueries: number;
}

export function emptyKindStats(): KindStats {
  return { indexed: 0, reused: 0, moved: 0, unchanged: 0, touched: 0, failed: 0, deleted: 0 };
}

export function emptyStats(): IndexStats {
  return {
    images: emptyKindStats(),
    texts: emptyKindStats(),
    videos: emptyKindStats(),
    shots: 0,
    filesSeen: 0,
    filesDone: 0,
    filesTotal: undefined,
    pairs: 0,
    captionsWithoutImage: 0,
    batches: 0,
    encodeMs: 0,
    metadataProblems: 0,
    neighbourQueries: 0,
  };
}

/** Flattens stats into the `Record<string, number>` an IndexingRun stores. */
export function flattenStats(stats: IndexStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of ['images', 'texts', 'videos'] as const) {
    for (const [key, value] of Object.entries(stats[kind]) as Array<[string, number]>) {
      out[`${kind}.${key}`] = value;
    }
  }
  out.shots = stats.shots;
  out.filesSeen = stats.filesSeen;
  out.pairs = stats.pairs;
  out.captionsWithoutImage = stats.captionsWithoutImage;
  out.batches = stats.batches;
  out.encodeMs = Math.round(stats.encodeMs);
  out.metadataProblems = stats.metadataProblems;
  out.neighbourQueries = stats.neighbourQueries;
  return out;
}
