/**
 * Each modality's vector index as a mutable tail plus sealed, immutable HNSW segments, kept in
 * step with the `vectors` table (the truth).
 *
 * - Every vector change lands in the tail (searched exactly). A change to a label that lives in
 *   a segment tombstones that copy (in memory: hnswlib's mark-delete; on disk: the manifest's
 *   deleted list). Nothing rewrites a sealed file.
 * - checkpoint() seals the tail into a new segment file (built off-thread when large) and writes
 *   the manifest; a tail that outgrows `tailLimit` between checkpoints is sealed in the
 *   background. Small segments are merged into bigger ones, and segments with more than 20%
 *   deleted are purged, by worker threads in the background.
 * - Opening loads the manifest's segments after a cheap integrity check and replays only rows
 *   newer than the manifest's mark. A segment that fails the check is dropped (with a warning)
 *   and its vectors rebuilt from SQLite; results are never wrong, only slower for a while.
 * - Readers pick up new segments and tombstones when the manifest changes (refresh()).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError, fromFsError } from '../errors.ts';
import { HnswIndex } from '../vector/hnsw-index.ts';
import type { VectorIndexHit } from '../vector/vector-index.ts';
import { l2Normalize } from '../vector/vector-math.ts';
import { ExactTail } from './exact-tail.ts';
import type { ItemKind } from './library.types.ts';
import type { HnswParams, MetaRepository } from './meta.repository.ts';
import { buildSegment, type BaseSegment, type BuildJob, type BuiltSegment } from './segment-build.ts';
import { fsyncPath, quickHash, sha256Of, writeLabelList } from './segment-files.ts';
import {
  labelsFileName,
  manifestStamp,
  readManifest,
  segmentFileName,
  segmentsDir,
  writeManifest,
  SEGMENTS_DIR,
  type Manifest,
  type SegmentEntry,
  type SegmentIdentity,
  type SegmentWarning,
} from './segment-manifest.ts';
import { SegmentPool } from './segment-pool.ts';
import type { VectorOp, VectorRepository } from './vector.repository.ts';

export const KINDS: readonly ItemKind[] = ['image', 'text'];

/** What opening did to each modality: loaded as saved, or (partly) rebuilt from SQLite, and why. */
export interface GraphRecovery {
  readonly kind: ItemKind;
  readonly action: 'loaded' | 'rebuilt';
  readonly reason?: string;
  /** Vector changes replayed on top of the loaded segments. */
  readonly replayed: number;
}

export interface SegmentOptions {
  /** Tail size that triggers a background seal between checkpoints. */
  readonly tailLimit: number;
  /**
   * Merge policy: the segments smaller than a segment are merged into it once together they
   * hold 1/mergeFactor of its live vectors, and `mergeFactor` segments below 2048 vectors are
   * merged together. Keeps about log_(1+mergeFactor)(N / seal size) segments per kind.
   */
  readonly mergeFactor: number;
  /** Purge a segment when more than this share of it is deleted. */
  readonly purgeRatio: number;
  /**
   * Merges never grow a segment past this many vectors (rebuilds split at it too). Big libraries
   * are then several segments of about this size, which open in parallel and each hold fewer
   * near-neighbours to lose; searches fan out over one more graph per `maxSegment` vectors.
   */
  readonly maxSegment: number;
  /** Worker threads for seals, merges and rebuilds (default: one per core). */
  readonly workers?: number;
  /**
   * Threads one unfiltered query may use to walk several mapped segments at once (default: one
   * per core; 1 walks them one after another on the calling thread).
   */
  readonly searchThreads?: number;
  /** Merge in the background (off for tests that need a fixed layout). */
  readonly merge: boolean;
  /**
   * Open sealed segments by memory-mapping them (clipdex's addon, src/vector/mapped-graph.ts);
   * false reads them into memory with hnswlib-node, several times slower to open, for file
   * systems where a mapping misbehaves (a network share truncated underneath the process).
   */
  readonly mapped: boolean;
  /** Called at each step of seals and merges (crash tests use it to time their kills). */
  readonly onEvent?: (event: SegmentEvent) => void;
}

export type SegmentEvent = 'seal-start' | 'seal-built' | 'merge-start' | 'merge-built' | 'manifest-saved';

/**
 * 8192 × 512-d is 16 MiB of tail, scanned exactly in ~3 ms on one core of this machine; the
 * indexer's 30 s checkpoints seal it long before that in practice (bench/store-scale.ts).
 */
export const DEFAULT_SEGMENT_OPTIONS: SegmentOptions = {
  tailLimit: 8192,
  mergeFactor: 4,
  purgeRatio: 0.2,
  // Measured at 1M, 512-d, 2 cores (bench/store-scale.ts --generator lowrank, LID like real
  // embeddings, load ~1): two mapped segments of 505k open in 260 ms (1.10 s read by hnswlib-node)
  // and search in p50 1.14 ms at the default ef 240 (recall@10 0.992). Each segment searched is a
  // whole graph walk: four of 250k took p50 2.32 ms at ef 96 (load 5) where two of 505k take
  // 0.72 ms. Bigger caps would mean longer merges, each rebuilding the whole result.
  maxSegment: 524_288,
  merge: true,
  mapped: true,
};

/**
 * Tails up to this size are sealed on the calling thread: a worker costs more to start, and 256
 * insertions of 512-d vectors block the thread for only about a quarter of a second here.
 */
const INLINE_BUILD_LIMIT = 256;
/** Bigger builds are split over the workers (parallel rebuilds). */
const PARALLEL_BUILD_MIN = 32_768;
/** Segments smaller than this share the bottom merge tier. */
const TIER_BASE = 2048;

interface Segment {
  readonly id: number;
  readonly file: string;
  readonly count: number;
  readonly bytes: number;
  readonly quick: string;
  readonly sha256: string;
  /**
   * sha256 of the label list beside the file. Absent for segments sealed before lists existed
   * until a writer opens the library and adds one.
   */
  labelsSha256?: string;
  readonly index: HnswIndex;
  readonly deleted: number[];
}

/** Where a label's live vector is: the tail, a tail being sealed, or a segment. */
interface Holder {
  readonly id: number;
  readonly tail?: ExactTail;
  readonly segment?: Segment;
}

interface KindState {
  tail: Holder;
  frozen: Holder[];
  segments: Holder[];
  /** label → holder id (0: nowhere). Ids are dense, so an array beats a Map. */
  loc: Int32Array;
}

export interface SegmentInfo {
  readonly id: number;
  readonly file: string;
  readonly count: number;
  readonly deleted: number;
  readonly bytes: number;
}

export interface KindInfo {
  readonly kind: ItemKind;
  readonly segments: readonly SegmentInfo[];
  readonly tail: number;
  readonly live: number;
  readonly bytes: number;
}

/** Where an open's time went (ms), for benches and diagnostics. */
export interface OpenTimings {
  /** openLibrary's steps before the segments (database, schema, model record). */
  database: number;
  manifest: number;
  /** Wall time of all segment loads together (they run concurrently). */
  loads: number;
  segments: {
    file: string;
    count: number;
    check: number;
    read: number;
    labels: number;
    /**
     * Where the labels came from: the mapped graph's own pass over its file (mapped-graph.ts),
     * or, when hnswlib-node reads it, the list beside the file or the graph itself.
     */
    from: 'mapped' | 'list' | 'graph';
  }[];
  install: number;
  replay: number;
  /** Comparing live counts with SQLite. */
  count: number;
}

export interface StoreDeps {
  readonly dir: string;
  readonly dbFile: string;
  readonly identity: SegmentIdentity;
  readonly params: HnswParams;
  readonly vectors: VectorRepository;
  readonly meta: MetaRepository;
  readonly readOnly: boolean;
  readonly options: SegmentOptions;
}

export class VectorSegments {
  private readonly kinds: Record<ItemKind, KindState>;
  private nextHolder = 1;
  private applied: number;
  private nextId: number;
  private warnings: SegmentWarning[];
  private stamp: string | undefined;
  private dirty = false;
  private sealing: Promise<void> | undefined;
  /** A checkpoint came while a seal was running: seal again when it ends. */
  private sealAgain = false;
  /** The last background seal's failure: the next checkpoint seals in the foreground and throws it. */
  private sealFailure: unknown;
  private closing = false;
  private merging: Promise<void> | undefined;
  private reloading: Promise<void> | undefined;
  private manifestWrite: Promise<void> = Promise.resolve();
  private backgroundError: unknown;
  private closed = false;
  private readonly searchThreads: number;
  private readonly pool: SegmentPool;
  /** How the open went, phase by phase. */
  openTimings: OpenTimings = {
    database: 0,
    manifest: 0,
    loads: 0,
    segments: [],
    install: 0,
    replay: 0,
    count: 0,
  };

  private constructor(
    private readonly deps: StoreDeps,
    manifest: Manifest | undefined,
  ) {
    this.applied = manifest?.mark ?? 0;
    this.nextId = manifest?.nextId ?? 1;
    this.warnings = [...(manifest?.warnings ?? [])];
    this.pool = new SegmentPool(deps.options.workers);
    const empty = (): KindState => ({
      tail: this.holder({ tail: new ExactTail(deps.identity.dim) }),
      frozen: [],
      segments: [],
      loc: new Int32Array(1024),
    });
    this.kinds = { image: empty(), text: empty() };
    this.searchThreads = Math.max(1, deps.options.searchThreads ?? os.availableParallelism());
  }

  static async open(
    deps: StoreDeps,
  ): Promise<{ segments: VectorSegments; recovery: GraphRecovery[]; warnings: string[] }> {
    const { dir, identity, readOnly } = deps;
    let clock = performance.now();
    const lap = (): number => {
      const now = performance.now();
      const ms = now - clock;
      clock = now;
      return ms;
    };
    const segDir = segmentsDir(dir);
    if (!readOnly) fs.mkdirSync(segDir, { recursive: true });
    const read = readManifest(dir, identity);
    const manifest = read.ok ? read.manifest : undefined;
    const set = new VectorSegments(deps, manifest);
    const timings = set.openTimings;
    timings.manifest = lap();
    if (read.ok) set.stamp = read.stamp;
    const reasons: Record<ItemKind, string[]> = { image: [], text: [] };
    if (!read.ok && !read.missing) for (const kind of KINDS) reasons[kind].push(read.reason);
    if (!read.ok && read.missing && KINDS.some((kind) => deps.vectors.liveCount(kind) > 0)) {
      for (const kind of KINDS) {
        if (deps.vectors.liveCount(kind) > 0) {
          reasons[kind].push(
            'no segment manifest (first open since the segment format, or the manifest was removed)',
          );
        }
      }
    }

    const loaded = await Promise.all(
      (manifest?.segments ?? []).map(async (entry) => ({
        entry,
        outcome: await loadSegment(segDir, entry, identity.dim, deps.options.mapped, timings),
      })),
    );
    timings.loads = lap();
    for (const { entry, outcome } of loaded) {
      if (outcome.ok) set.install(entry.kind, outcome.segment);
      else reasons[entry.kind].push(`segment ${entry.file}: ${outcome.reason}`);
    }
    if (!readOnly) {
      removeLeftovers(dir, new Set(loaded.filter((l) => l.outcome.ok).map((l) => l.entry.file)));
      await set.addLabelLists();
    }
    timings.install = lap();

    const replayed = set.catchUp();
    timings.replay = lap();
    const mark = manifest?.mark ?? 0;
    for (const kind of KINDS) {
      // Vectors the dropped segments held (rows at or below the mark) come back from SQLite;
      // a count that disagrees with the database gets the same reconciliation.
      if (reasons[kind].length > 0 || set.size(kind) !== deps.vectors.liveCount(kind)) {
        const fixed = set.reconcile(kind, mark);
        if (reasons[kind].length === 0 && fixed > 0) {
          reasons[kind].push(`segments disagreed with the database on ${fixed} vectors`);
        }
      }
    }
    timings.count = lap();
    const warnings: string[] = [];
    const recovery: GraphRecovery[] = KINDS.map((kind) => {
      if (reasons[kind].length === 0) return { kind, action: 'loaded', replayed: replayed[kind] };
      const reason = reasons[kind].join('; ');
      const message = `${kind} vectors: ${reason}; rebuilt from the database`;
      warnings.push(message);
      set.warnings = [...set.warnings, { at: Date.now(), kind, message }].slice(-20);
      set.dirty = true;
      return { kind, action: 'rebuilt', reason, replayed: replayed[kind] };
    });
    return { segments: set, recovery, warnings };
  }

  /**
   * Segments sealed before label lists existed get one now (a new file beside the sealed one,
   * which stays untouched), so later opens need not ask hnswlib for every label. The manifest
   * that records them is saved by the open's checkpoint. A write that fails only leaves the
   * segment without a list.
   */
  private async addLabelLists(): Promise<void> {
    const segDir = segmentsDir(this.deps.dir);
    let added = 0;
    for (const kind of KINDS) {
      for (const { segment } of this.kinds[kind].segments) {
        if (segment!.labelsSha256) continue;
        try {
          const file = path.join(segDir, labelsFileName(segment!.file));
          segment!.labelsSha256 = await writeLabelList(
            file,
            segment!.index.allLabels(),
            `.tmp-${process.pid}`,
          );
          added++;
        } catch {
          // no list: opens stay as slow as before
        }
      }
    }
    if (added === 0) return;
    await fsyncPath(segDir).catch(() => undefined);
    this.dirty = true;
  }

  /** Live vectors of a kind across tail and segments. */
  size(kind: ItemKind): number {
    const st = this.kinds[kind];
    let n = st.tail.tail!.size;
    for (const h of st.frozen) n += h.tail!.size;
    for (const h of st.segments) n += h.segment!.index.size;
    return n;
  }

  /** Slots: live plus tombstoned copies still in segment files. */
  slots(kind: ItemKind): number {
    const st = this.kinds[kind];
    let n = st.tail.tail!.size;
    for (const h of st.frozen) n += h.tail!.size;
    for (const h of st.segments) n += h.segment!.index.slots;
    return n;
  }

  /** Whether changes exist that the manifest on disk lacks. */
  get isDirty(): boolean {
    return this.dirty || this.sealing !== undefined || this.tailSize() > 0;
  }

  /** Fans out over tail and segments and merges by exact cosine distance. */
  search(
    kind: ItemKind,
    query: Float32Array,
    k: number,
    ef: number,
    filter?: (label: number) => boolean,
  ): VectorIndexHit[] {
    const st = this.kinds[kind];
    const q = l2Normalize(query);
    const hits: VectorIndexHit[] = [];
    let largest = 0;
    for (const h of st.segments) largest = Math.max(largest, h.segment!.index.size);
    const indexes = st.segments.map((h) => h.segment!.index);
    const efs = indexes.map((index) => (filter ? ef : segmentDepth(ef, k, index.size, largest)));
    // Unfiltered, several mapped segments walk at once, one per core: the query waits for the
    // slowest walk instead of their sum. (A filter is a JS function: those stay on this thread.)
    const together =
      !filter && indexes.length > 1 && this.searchThreads > 1
        ? HnswIndex.searchSealed(indexes, q, k, efs, this.searchThreads)
        : undefined;
    if (together) for (const found of together) hits.push(...found);
    else indexes.forEach((index, i) => hits.push(...index.search(q, k, efs[i]!, filter)));
    for (const h of st.frozen) hits.push(...h.tail!.search(q, k, filter));
    hits.push(...st.tail.tail!.search(q, k, filter));
    hits.sort((a, b) => a.distance - b.distance || a.label - b.label);
    return hits.slice(0, k);
  }

  /** Applies committed vector changes not seen yet; returns how many per kind. */
  catchUp(): Record<ItemKind, number> {
    const counts: Record<ItemKind, number> = { image: 0, text: 0 };
    for (const op of this.deps.vectors.since(this.applied)) {
      this.apply(op);
      counts[op.kind]++;
      this.applied = Math.max(this.applied, op.seq);
    }
    if (
      !this.deps.readOnly &&
      !this.closing &&
      !this.sealing &&
      KINDS.some((kind) => this.kinds[kind].tail.tail!.size >= this.deps.options.tailLimit)
    ) {
      void this.startSeal();
    }
    return counts;
  }

  /** Readers: replay new rows, and load new segments when the writer's manifest changed. */
  refresh(): void {
    this.catchUp();
    if (!this.deps.readOnly || this.reloading || this.closed) return;
    const stamp = manifestStamp(this.deps.dir);
    if (stamp === undefined || stamp === this.stamp) return;
    this.reloading = this.reload()
      .catch(() => undefined)
      .finally(() => (this.reloading = undefined));
  }

  /**
   * Starts sealing the tails and saves the manifest (tombstones, and a mark below every row not
   * yet in a segment). The seal of a big tail runs in the background and saves the manifest
   * again when its segment file is durable; until then its rows stay replayable from SQLite, so
   * a crash loses nothing. A checkpoint waits only when it must: a small tail (sealed inline
   * anyway), a live tail past `tailLimit` behind a seal still running (back-pressure), or a
   * previous background seal that failed (retried here, so its error reaches the caller).
   */
  async checkpoint(): Promise<void> {
    this.assertWriter();
    // Let the event loop turn: worker replies and the background seal's file I/O are macrotasks,
    // which a caller looping over write() and checkpoint() would otherwise starve.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.sealing) {
      if (this.sealFailure === undefined && this.tailSize() < this.deps.options.tailLimit) {
        this.sealAgain = true;
        await this.saveManifest();
        return;
      }
      await this.waitSealing();
    }
    const size = this.tailSize();
    const failed = this.sealFailure !== undefined;
    const seal = this.startSeal();
    if (failed || size <= INLINE_BUILD_LIMIT) await seal;
    else await this.saveManifest();
  }

  /** Waits for background seals and merges in flight. */
  async idle(): Promise<void> {
    while (this.sealing || this.merging || this.reloading) {
      await Promise.all(
        [this.sealing, this.merging, this.reloading].map((p) =>
          p ? p.catch(() => undefined) : Promise.resolve(),
        ),
      );
    }
  }

  /** Rebuilds one kind's segments from SQLite, in parallel, without deleted slots. */
  async compact(kind: ItemKind): Promise<void> {
    this.assertWriter();
    await this.stopMerging();
    await this.waitSealing();
    this.catchUp();
    const from = this.applied;
    const ids = Int32Array.from(Array.from(this.deps.vectors.liveIds(kind), (r) => r.itemId));
    const built = await this.buildMany(kind, ids, undefined);
    const old = this.kinds[kind];
    const fresh: KindState = {
      tail: this.holder({ tail: new ExactTail(this.deps.identity.dim) }),
      frozen: [],
      segments: [],
      loc: new Int32Array(old.loc.length),
    };
    this.kinds[kind] = fresh;
    for (const segment of built) this.install(kind, segment);
    for (const op of this.deps.vectors.since(from)) if (op.kind === kind) this.apply(op);
    this.dirty = true;
    await this.saveManifest();
    for (const h of old.segments) {
      for (const file of segmentPaths(segmentsDir(this.deps.dir), h.segment!.file)) {
        fs.rmSync(file, { force: true });
      }
    }
  }

  /** The last failure of a background seal or merge (they are retried), for `library info`. */
  get lastBackgroundError(): string | undefined {
    const e = this.backgroundError;
    return e === undefined ? undefined : e instanceof Error ? e.message : JSON.stringify(e);
  }

  info(): { kinds: KindInfo[]; warnings: readonly SegmentWarning[]; mark: number } {
    const kinds = KINDS.map((kind) => {
      const st = this.kinds[kind];
      const segments = st.segments.map(({ segment: s }) => ({
        id: s!.id,
        file: s!.file,
        count: s!.count,
        deleted: s!.index.deleted,
        bytes: s!.bytes,
      }));
      return {
        kind,
        segments,
        tail: st.tail.tail!.size + st.frozen.reduce((n, h) => n + h.tail!.size, 0),
        live: this.size(kind),
        bytes: segments.reduce((n, s) => n + s.bytes, 0),
      };
    });
    return { kinds, warnings: this.warnings, mark: this.manifestMark() };
  }

  /** Full check of every segment file against its recorded sha256 and layout. */
  entries(): {
    kind: ItemKind;
    file: string;
    sha256: string;
    bytes: number;
    labels: number[];
    labelList?: { file: string; sha256: string };
  }[] {
    return KINDS.flatMap((kind) =>
      this.kinds[kind].segments.map(({ segment: s }) => ({
        kind,
        file: path.join(segmentsDir(this.deps.dir), s!.file),
        sha256: s!.sha256,
        ...(s!.labelsSha256
          ? {
              labelList: {
                file: path.join(segmentsDir(this.deps.dir), labelsFileName(s!.file)),
                sha256: s!.labelsSha256,
              },
            }
          : {}),
        bytes: s!.bytes,
        labels: s!.index.liveLabels(),
      })),
    );
  }

  /** Stops merges, finishes seals; a writer seals its tails and saves the manifest. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    try {
      await this.stopMerging();
      await this.waitSealing();
      if (!this.deps.readOnly) await this.checkpointForClose();
      await this.reloading?.catch(() => undefined);
    } finally {
      this.closed = true;
      await this.pool.close();
      for (const kind of KINDS) for (const h of this.kinds[kind].segments) h.segment?.index.close();
    }
  }

  /** Live tail vectors (not counting tails being sealed). */
  private tailSize(): number {
    return KINDS.reduce((n, kind) => n + this.kinds[kind].tail.tail!.size, 0);
  }

  /**
   * Seals the tails in the background, one seal at a time; when the segment files are durable
   * the manifest names them, then merges may start. Returns the seal (rejecting on failure; the
   * failure is also kept for the next checkpoint and `library info`).
   */
  private startSeal(): Promise<void> {
    if (this.sealing) {
      this.sealAgain = true;
      return this.sealing;
    }
    this.sealAgain = false;
    const run = (async () => {
      await this.sealAll();
      await this.saveManifest();
    })();
    this.sealing = run
      .then(
        () => void (this.sealFailure = undefined),
        (error: unknown) => {
          this.sealFailure = error;
          this.backgroundError = error;
        },
      )
      .finally(() => {
        this.sealing = undefined;
        if (this.closing) return;
        this.scheduleMerge();
        if (this.sealAgain && this.sealFailure === undefined && this.tailSize() > 0) void this.startSeal();
      });
    return run;
  }

  private async checkpointForClose(): Promise<void> {
    this.sealing = this.sealAll();
    try {
      await this.sealing;
    } finally {
      this.sealing = undefined;
    }
    await this.saveManifest();
  }

  // --- state changes -------------------------------------------------------------------------

  private holder(content: { tail?: ExactTail; segment?: Segment }): Holder {
    return { id: this.nextHolder++, ...content };
  }

  private at(st: KindState, label: number): number {
    return label < st.loc.length ? st.loc[label]! : 0;
  }

  private place(st: KindState, label: number, holder: number): void {
    this.reserveLoc(st, label);
    st.loc[label] = holder;
  }

  private reserveLoc(st: KindState, label: number): void {
    if (label >= st.loc.length) {
      const grown = new Int32Array(Math.max(st.loc.length * 2, label + 1));
      grown.set(st.loc);
      st.loc = grown;
    }
  }

  private find(st: KindState, id: number): Holder | undefined {
    if (st.tail.id === id) return st.tail;
    return st.frozen.find((h) => h.id === id) ?? st.segments.find((h) => h.id === id);
  }

  /** One vector change: stale copies are tombstoned, a live vector goes to the tail. */
  private apply(op: VectorOp): void {
    const st = this.kinds[op.kind];
    this.evict(st, op.itemId);
    if (op.live) {
      st.tail.tail!.add(op.itemId, op.vector, op.seq);
      this.place(st, op.itemId, st.tail.id);
    }
  }

  private evict(st: KindState, label: number): void {
    const where = this.at(st, label);
    if (where === 0) return;
    const holder = this.find(st, where);
    if (holder?.tail) holder.tail.remove(label);
    if (holder?.segment) {
      holder.segment.index.remove(label);
      holder.segment.deleted.push(label);
      this.dirty = true;
    }
    st.loc[label] = 0;
  }

  private install(kind: ItemKind, segment: Segment): Holder {
    const st = this.kinds[kind];
    const holder = this.holder({ segment });
    st.segments.push(holder);
    // Runs once per label on every open: typed arrays, and the location array grown once.
    const labels = segment.index.liveLabelArray();
    if (labels.length > 0) this.reserveLoc(st, labels[labels.length - 1]!); // ascending: the last is the largest
    const loc = st.loc;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      // A label live in two places means the files disagree with each other: trust neither copy
      // beyond the first; reconcile() and replay put the truth back.
      if (loc[label] !== 0) {
        segment.index.remove(label);
        segment.deleted.push(label);
        continue;
      }
      loc[label] = holder.id;
    }
    return holder;
  }

  /**
   * Makes a kind agree with SQLite after segments were dropped: live rows at or below `mark`
   * that no segment holds go to the tail (the next seal rebuilds them), and copies of labels
   * SQLite no longer holds live are tombstoned. Returns how many labels it fixed.
   */
  private reconcile(kind: ItemKind, mark: number): number {
    const st = this.kinds[kind];
    // Everything newer than the mark was replayed already: what no holder has is older.
    const live = new Set<number>();
    const missing = new Map<number, number>();
    for (const { itemId, seq } of this.deps.vectors.liveIds(kind)) {
      live.add(itemId);
      if (this.at(st, itemId) === 0) missing.set(itemId, Math.min(seq, mark));
    }
    const ids = [...missing.keys()];
    let fixed = 0;
    for (let i = 0; i < ids.length; i += 5000) {
      for (const [id, vector] of this.deps.vectors.getLive(ids.slice(i, i + 5000))) {
        st.tail.tail!.add(id, vector, missing.get(id)!);
        this.place(st, id, st.tail.id);
        fixed++;
      }
    }
    for (const h of st.segments) {
      for (const label of h.segment!.index.liveLabels()) {
        if (live.has(label)) continue;
        this.evict(st, label);
        fixed++;
      }
    }
    return fixed;
  }

  /** Seals every non-empty tail; failures put the vectors back into the tail. */
  private async sealAll(): Promise<void> {
    for (const kind of KINDS) {
      const st = this.kinds[kind];
      if (st.tail.tail!.size === 0) continue;
      const frozen = st.tail;
      st.tail = this.holder({ tail: new ExactTail(this.deps.identity.dim) });
      st.frozen.push(frozen);
      try {
        this.emit('seal-start');
        const segments = await this.buildMany(kind, frozen.tail!.labels(), frozen.tail);
        if (this.closed) return;
        this.emit('seal-built');
        for (const segment of segments) {
          const holder = this.holder({ segment });
          st.segments.push(holder);
          for (const label of segment.index.liveLabels()) {
            if (frozen.tail!.has(label) && this.at(st, label) === frozen.id) this.place(st, label, holder.id);
            else {
              segment.index.remove(label); // changed while the segment was being built
              segment.deleted.push(label);
            }
          }
        }
        this.dirty = true;
      } catch (error) {
        this.thaw(st, frozen);
        throw error;
      } finally {
        st.frozen = st.frozen.filter((h) => h !== frozen);
      }
    }
  }

  /** A failed seal: what is still current in the frozen tail returns to the live tail. */
  private thaw(st: KindState, frozen: Holder): void {
    const tail = frozen.tail!;
    for (const label of tail.labels()) {
      if (this.at(st, label) !== frozen.id) continue;
      st.tail.tail!.add(label, tail.vector(label)!, tail.seq(label)!);
      this.place(st, label, st.tail.id);
    }
  }

  /** Builds segments from a tail (its vectors) or from SQLite (ids only), in parallel when big. */
  private async buildMany(
    kind: ItemKind,
    labels: Int32Array,
    tail: ExactTail | undefined,
    base?: BaseSegment,
  ): Promise<Segment[]> {
    if (labels.length === 0) return [];
    const workers = this.pool.maxWorkers;
    // Building on a base graph is one job: the base cannot be split.
    const chunks =
      base || labels.length < PARALLEL_BUILD_MIN
        ? 1
        : Math.max(
            workers,
            // Chunks as big as merges make them: each extra segment costs every query a graph walk.
            Math.ceil(labels.length / this.deps.options.maxSegment),
          );
    const per = Math.ceil(labels.length / chunks);
    const dim = this.deps.identity.dim;
    const jobs: BuildJob[] = [];
    for (let i = 0; i < labels.length; i += per) {
      const part = labels.slice(i, i + per);
      let vectors: Float32Array | undefined;
      if (tail) {
        vectors = new Float32Array(part.length * dim);
        part.forEach((label, j) => vectors!.set(tail.vector(label)!, j * dim));
      }
      const id = this.nextId++;
      jobs.push({
        file: path.join(segmentsDir(this.deps.dir), segmentFileName(kind, id)),
        dim,
        m: this.deps.params.m,
        efConstruction: this.deps.params.efConstruction,
        labels: part,
        ...(vectors ? { vectors } : { dbFile: this.deps.dbFile }),
        ...(base ? { base } : {}),
        what: kind,
      });
    }
    const built = await Promise.allSettled(
      jobs.map((job) =>
        job.labels.length <= INLINE_BUILD_LIMIT && !job.base ? buildSegment(job) : this.pool.build(job),
      ),
    );
    const failed = built.find((b) => b.status === 'rejected');
    const segments: Segment[] = [];
    for (const [i, b] of built.entries()) {
      if (b.status !== 'fulfilled') continue;
      try {
        segments.push(await toSegment(jobs[i]!, b.value, dim, this.deps.options.mapped));
      } catch (error) {
        await removeFiles(jobs.flatMap((j) => segmentPaths('', j.file)));
        throw error;
      }
    }
    if (failed) {
      await removeFiles(jobs.flatMap((j) => segmentPaths('', j.file)));
      throw failed.reason;
    }
    return segments;
  }

  // --- merges --------------------------------------------------------------------------------

  private scheduleMerge(): void {
    if (!this.deps.options.merge || this.merging || this.closing || this.deps.readOnly) return;
    const pick = this.pickMerge();
    if (!pick) return;
    this.merging = this.merge(pick.kind, pick.sources)
      .catch((error: unknown) => {
        if (!(error instanceof EngineError && (error.code === 'ABORTED' || error.code === 'CLOSED'))) {
          this.backgroundError = error;
        }
      })
      .finally(() => {
        this.merging = undefined;
        if (!this.backgroundError) this.scheduleMerge();
      });
  }

  /**
   * Purge first: a segment more than `purgeRatio` deleted is rebuilt from SQLite without them.
   * Otherwise, with the segments below `maxSegment` by live size s1 ≥ s2 ≥ …, the first j whose
   * smaller segments together hold at least s_j / mergeFactor merges them into s_j (which the
   * merge builds on, so only the smaller ones' vectors are inserted again), as many of them,
   * largest first, as keep the result within `maxSegment`. Sizes then fall geometrically and a
   * kind keeps a handful of segments besides the full ones, while a vector is re-inserted only
   * about log_(1+mergeFactor)(maxSegment / seal size) times. Tiny segments (a checkpoint of a
   * few items) are merged together once `mergeFactor` of them exist.
   */
  private pickMerge(): { kind: ItemKind; sources: Holder[] } | undefined {
    const { mergeFactor, purgeRatio, maxSegment } = this.deps.options;
    for (const kind of KINDS) {
      const segs = this.kinds[kind].segments;
      const purge = segs.find((h) => h.segment!.index.deleted > purgeRatio * h.segment!.count);
      if (purge) return { kind, sources: [purge] };
      const picked = pickSources(
        segs.map((h) => ({ id: h.id, live: h.segment!.index.size })),
        mergeFactor,
        maxSegment,
      );
      if (picked) return { kind, sources: picked.map((id) => segs.find((h) => h.id === id)!) };
    }
    return undefined;
  }

  /**
   * Merges sources into one segment: on the graph of the largest (unless this is a purge), with
   * the others' vectors read from SQLite. The sources stay valid until the manifest commits.
   */
  private async merge(kind: ItemKind, sources: Holder[]): Promise<void> {
    const st = this.kinds[kind];
    const baseHolder =
      sources.length > 1
        ? sources.reduce((a, b) => (b.segment!.index.size > a.segment!.index.size ? b : a))
        : undefined;
    const base: BaseSegment | undefined = baseHolder && {
      file: path.join(segmentsDir(this.deps.dir), baseHolder.segment!.file),
      bytes: baseHolder.segment!.bytes,
      quick: baseHolder.segment!.quick,
      deleted: [...baseHolder.segment!.deleted],
    };
    const labels = Int32Array.from(
      sources.filter((h) => h !== baseHolder).flatMap((h) => h.segment!.index.liveLabels()),
    );
    this.emit('merge-start');
    // Other sources with nothing live: the base stands as it is, and they are only dropped.
    const built = base && labels.length === 0 ? [] : await this.buildMany(kind, labels, undefined, base);
    this.emit('merge-built');
    if (this.closed || sources.some((h) => !st.segments.includes(h))) {
      await removeFiles(built.flatMap((s) => segmentPaths(segmentsDir(this.deps.dir), s.file)));
      return;
    }
    const dropped = built.length === 0 && baseHolder ? sources.filter((h) => h !== baseHolder) : sources;
    const sourceIds = new Set(dropped.map((h) => h.id));
    st.segments = st.segments.filter((h) => !sourceIds.has(h.id));
    for (const segment of built) {
      const holder = this.holder({ segment });
      st.segments.push(holder);
      for (const label of segment.index.liveLabels()) {
        if (sourceIds.has(this.at(st, label))) this.place(st, label, holder.id);
        else {
          segment.index.remove(label); // deleted or re-embedded during the merge
          segment.deleted.push(label);
        }
      }
    }
    this.dirty = true;
    await this.saveManifest();
    await removeFiles(dropped.flatMap((h) => segmentPaths(segmentsDir(this.deps.dir), h.segment!.file)));
    // The dropped graphs are out of every state and searches are synchronous, so none is inside
    // one: unmapping now frees their disk space instead of at garbage collection.
    for (const h of dropped) h.segment!.index.close();
  }

  private async stopMerging(): Promise<void> {
    if (!this.merging) return;
    await this.pool.cancel();
    await this.merging.catch(() => undefined);
  }

  private async waitSealing(): Promise<void> {
    while (this.sealing) await this.sealing.catch(() => undefined);
  }

  // --- manifest ------------------------------------------------------------------------------

  private manifestMark(): number {
    let min: number | undefined;
    for (const kind of KINDS) {
      const st = this.kinds[kind];
      for (const h of [st.tail, ...st.frozen]) {
        const m = h.tail!.minSeq();
        if (m !== undefined && (min === undefined || m < min)) min = m;
      }
    }
    return min === undefined ? this.applied : min - 1;
  }

  private snapshot(): Manifest {
    const segments: SegmentEntry[] = KINDS.flatMap((kind) =>
      this.kinds[kind].segments.map(({ segment: s }) => ({
        id: s!.id,
        kind,
        file: s!.file,
        count: s!.count,
        bytes: s!.bytes,
        quick: s!.quick,
        sha256: s!.sha256,
        ...(s!.labelsSha256 ? { labels: s!.labelsSha256 } : {}),
        deleted: [...s!.deleted],
      })),
    );
    return {
      format: 2,
      ...this.deps.identity,
      mark: this.manifestMark(),
      nextId: this.nextId,
      segments,
      warnings: this.warnings,
      savedAt: Date.now(),
    };
  }

  /** Manifest writes are serialised; each writes the state current when it starts. */
  private saveManifest(): Promise<void> {
    const run = this.manifestWrite.then(async () => {
      if (!this.dirty && this.stamp !== undefined) return;
      this.dirty = false;
      try {
        await writeManifest(this.deps.dir, this.snapshot());
        this.stamp = manifestStamp(this.deps.dir);
        this.emit('manifest-saved');
      } catch (error) {
        this.dirty = true;
        throw fromFsError(
          error,
          `cannot save the HNSW graph segment manifest in ${segmentsDir(this.deps.dir)}`,
        );
      }
    });
    this.manifestWrite = run.catch(() => undefined);
    return run;
  }

  private emit(event: SegmentEvent): void {
    this.deps.options.onEvent?.(event);
  }

  private assertWriter(): void {
    if (this.deps.readOnly) {
      throw new EngineError('INVALID_INPUT', 'a read-only library cannot change its segments');
    }
  }

  // --- readers -------------------------------------------------------------------------------

  /** Swaps in the writer's latest manifest: reuses loaded segments, loads new ones, replays. */
  private async reload(): Promise<void> {
    const read = readManifest(this.deps.dir, this.deps.identity);
    if (!read.ok) return;
    const manifest = read.manifest;
    const current = new Map<number, Segment>();
    for (const kind of KINDS) {
      for (const h of this.kinds[kind].segments) current.set(h.segment!.id, h.segment!);
    }
    const segDir = segmentsDir(this.deps.dir);
    const reused = new Set<HnswIndex>();
    const loaded = await Promise.all(
      manifest.segments.map(async (entry) => {
        const have = current.get(entry.id);
        if (have && have.file === entry.file && have.sha256 === entry.sha256) {
          reused.add(have.index);
          for (const label of entry.deleted) have.index.remove(label);
          return {
            entry,
            outcome: {
              ok: true as const,
              segment: { ...have, deleted: [...new Set([...have.deleted, ...entry.deleted])] },
            },
          };
        }
        return {
          entry,
          outcome: await loadSegment(segDir, entry, this.deps.identity.dim, this.deps.options.mapped),
        };
      }),
    );
    const fresh = loaded.flatMap(({ outcome }) =>
      outcome.ok && !reused.has(outcome.segment.index) ? [outcome.segment] : [],
    );
    // A file the writer merged away meanwhile: keep the current view and try at the next change.
    if (this.closed || loaded.some((l) => !l.outcome.ok)) {
      for (const segment of fresh) segment.index.close();
      return;
    }
    for (const kind of KINDS) {
      const old = this.kinds[kind];
      this.kinds[kind] = {
        tail: this.holder({ tail: new ExactTail(this.deps.identity.dim) }),
        frozen: [],
        segments: [],
        loc: new Int32Array(old.loc.length),
      };
    }
    for (const { entry, outcome } of loaded) if (outcome.ok) this.install(entry.kind, outcome.segment);
    // Segments the writer merged away are out of every state now; unmap them (searches are
    // synchronous, so none is inside one).
    for (const segment of current.values()) if (!reused.has(segment.index)) segment.index.close();
    this.applied = manifest.mark;
    this.stamp = read.stamp;
    this.catchUp();
  }
}

/**
 * The merge policy on sizes alone (see pickMerge): holder ids of the segments to merge, the
 * first being the target, or undefined. Exported for tests.
 */
export function pickSources(
  segments: readonly { readonly id: number; readonly live: number }[],
  mergeFactor: number,
  maxSegment: number,
): number[] | undefined {
  const open = segments.filter((s) => s.live < maxSegment).sort((a, b) => b.live - a.live || a.id - b.id);
  let below = open.reduce((n, s) => n + s.live, 0);
  for (let j = 0; j < open.length - 1; j++) {
    const target = open[j]!;
    below -= target.live;
    if (below * mergeFactor < target.live) continue;
    let total = target.live;
    const sources = [target.id];
    for (const s of open.slice(j + 1)) {
      if (total + s.live > maxSegment) continue;
      total += s.live;
      sources.push(s.id);
    }
    if (sources.length > 1) return sources;
  }
  const tiny = open.filter((s) => s.live <= TIER_BASE);
  if (tiny.length >= mergeFactor) return tiny.map((s) => s.id);
  return undefined;
}

/**
 * Search depth of one segment: `ef` for the largest, less for smaller ones, by the square root of
 * their share (at least half of `ef`, and never under k). A segment holding a fraction f of the
 * vectors holds about f·k of the true top k, and a shallower search finds those: on
 * bench/store-scale at 200k, a 30k segment beside a 180k one found all 129 of its true hits at
 * ef 48 as at ef 96, in half the time, while the 180k one needed the full 96 (870 of 871 vs 779
 * at 48). With a filter, shares say nothing about where allowed hits are: every segment gets `ef`.
 */
function segmentDepth(ef: number, k: number, size: number, largest: number): number {
  if (largest <= 0 || size >= largest) return ef;
  return Math.max(k, Math.round(ef * Math.max(0.5, Math.sqrt(size / largest))));
}

type SegmentLoad =
  { readonly ok: true; readonly segment: Segment } | { readonly ok: false; readonly reason: string };

/** Loads one segment after the cheap check: size and sampled-block hash match the manifest. */
async function loadSegment(
  segDir: string,
  entry: SegmentEntry,
  dim: number,
  mapped: boolean,
  timings?: OpenTimings,
): Promise<SegmentLoad> {
  const file = path.join(segDir, entry.file);
  try {
    const started = performance.now();
    const { bytes, quick } = quickHash(file);
    const checked = performance.now();
    if (bytes !== entry.bytes) {
      return {
        ok: false,
        reason: `file is ${bytes} bytes, the manifest says ${entry.bytes} (truncated or replaced)`,
      };
    }
    if (quick !== entry.quick) {
      return {
        ok: false,
        reason: 'contents do not match the manifest (overwritten, or from another library)',
      };
    }
    const labels = readLabelList(path.join(segDir, labelsFileName(entry.file)), entry.labels);
    let index: HnswIndex;
    try {
      index = await HnswIndex.openSealed(file, dim, entry.deleted, { labels, mapped });
    } catch (error) {
      // A list that disagrees with its graph is only a lost shortcut: the graph is the truth.
      if (!labels) throw error;
      index = await HnswIndex.openSealed(file, dim, entry.deleted, { mapped });
    }
    timings?.segments.push({
      file: entry.file,
      count: entry.count,
      check: checked - started,
      read: index.loadTimings.read,
      labels: index.loadTimings.labels,
      from: index.isMapped ? 'mapped' : labels ? 'list' : 'graph',
    });
    if (index.slots !== entry.count) {
      index.close();
      return { ok: false, reason: `holds ${index.slots} vectors, the manifest says ${entry.count}` };
    }
    return {
      ok: true,
      segment: {
        id: entry.id,
        file: entry.file,
        count: entry.count,
        bytes,
        quick,
        sha256: entry.sha256,
        ...(labels && entry.labels ? { labelsSha256: entry.labels } : {}),
        index,
        deleted: [...entry.deleted],
      },
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason: code === 'ENOENT' ? 'file is missing' : error instanceof Error ? error.message : String(error),
    };
  }
}

async function toSegment(job: BuildJob, built: BuiltSegment, dim: number, mapped: boolean): Promise<Segment> {
  const deleted = Array.from(built.deleted);
  const index = await HnswIndex.openSealed(job.file, dim, deleted, { labels: built.allLabels, mapped });
  const id = Number(/-(\d+)\.hnsw$/.exec(job.file)?.[1]);
  return {
    id,
    file: path.basename(job.file),
    count: built.slots,
    bytes: built.bytes,
    quick: built.quick,
    sha256: built.sha256,
    labelsSha256: built.labelsSha256,
    index,
    deleted,
  };
}

/**
 * A segment's label list when it matches the sha256 the manifest recorded; otherwise undefined
 * (missing, damaged, or a segment sealed before lists existed) and the graph is asked instead.
 */
function readLabelList(file: string, sha256: string | undefined): Uint32Array | undefined {
  if (!sha256) return undefined;
  try {
    const bytes = fs.readFileSync(file);
    if (bytes.length % 4 !== 0 || sha256Of(bytes) !== sha256) return undefined;
    // Copied into an aligned buffer: a small file's Buffer may sit at any offset of a pool.
    return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  } catch {
    return undefined;
  }
}

/** A segment's files: the graph and its label list. */
function segmentPaths(segDir: string, file: string): string[] {
  const graph = segDir ? path.join(segDir, file) : file;
  return [graph, labelsFileName(graph)];
}

async function removeFiles(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((f) => fs.promises.rm(f, { force: true }).catch(() => undefined)));
}

/**
 * Files a dead writer left: temp files, segments no manifest names, and the single-graph files
 * of the format before segments. Only the lock holder calls this.
 */
function removeLeftovers(dir: string, keep: ReadonlySet<string>): void {
  for (const name of fs.readdirSync(dir)) {
    if (/^(image|text)\.hnsw(\.json)?(\.tmp-\d+)?$/.test(name)) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
  const segDir = path.join(dir, SEGMENTS_DIR);
  const kept = new Set([...keep].flatMap((file) => [file, labelsFileName(file)]));
  for (const name of fs.readdirSync(segDir)) {
    if (name === 'manifest.json' || kept.has(name)) continue;
    if (/\.tmp-/.test(name) || /\.(hnsw|labels)$/.test(name)) {
      fs.rmSync(path.join(segDir, name), { force: true });
    }
  }
}
