/**
 * The only importer of hnswlib-node: an HNSW graph in cosine space with labels = item ids,
 * automatic capacity growth and mark-delete. hnswlib is not safe to mutate while it serialises
 * (writeIndex runs on a worker thread), so mutations during save() throw; the store defers them.
 *
 * A sealed segment is opened read-only instead (openSealed): memory-mapped by clipdex's addon
 * (mapped-graph.ts) when it is built, which takes a fraction of hnswlib-node's readIndex; it
 * still takes tombstones (remove) but nothing else changes it.
 */
import hnswlib from 'hnswlib-node';
import { EngineError } from '../errors.ts';
import { MappedGraph, mappedGraphSupport } from './mapped-graph.ts';
import type { VectorIndex, VectorIndexHit } from './vector-index.ts';

const { HierarchicalNSW } = hnswlib;
type Graph = InstanceType<typeof HierarchicalNSW>;

export interface HnswOptions {
  readonly dim: number;
  readonly m: number;
  readonly efConstruction: number;
  /** Initial slots; doubled whenever full. */
  readonly capacity?: number;
}

/** Per-label state in a byte array indexed by label: ids are dense, so this beats a Set. */
const ABSENT = 0;
const LIVE = 1;
const DELETED = 2;
/** Labels of a saved label list checked against the graph on load. */
const LABEL_SAMPLES = 16;

export class HnswIndex implements VectorIndex {
  private states = new Uint8Array(1024);
  private liveCount = 0;
  private deletedCount = 0;
  private saving = false;
  /** load(): ms reading the file (off the main thread), and ms listing its labels (on it). */
  loadTimings = { read: 0, labels: 0 };

  /** Exactly one of `graph` (hnswlib-node, mutable) and `mapped` (read-only) is set. */
  private constructor(
    private readonly graph: Graph | undefined,
    readonly dim: number,
    private readonly mapped?: MappedGraph,
  ) {}

  static create(options: HnswOptions): HnswIndex {
    const graph = new HierarchicalNSW('cosine', options.dim);
    graph.initIndex({
      maxElements: Math.max(1024, options.capacity ?? 0),
      m: options.m,
      efConstruction: options.efConstruction,
      randomSeed: 100,
    });
    return new HnswIndex(graph, options.dim);
  }

  /**
   * Reads a graph written by save(); `deleted` is the list saved beside it. `labels`, when given,
   * are the graph's labels as saved beside it (allLabels()): hnswlib-node lists a graph's labels
   * one JS value at a time, about 0.4 µs each on the main thread, so a big graph's open is
   * faster without asking it. A list whose length or sampled labels disagree with the graph
   * is refused (INDEX_CORRUPT); callers then load without it.
   */
  static async load(
    file: string,
    dim: number,
    deleted: readonly number[],
    labels?: Uint32Array,
  ): Promise<HnswIndex> {
    const graph = new HierarchicalNSW('cosine', dim);
    const started = performance.now();
    try {
      // hnswlib-node runs this on a libuv pool thread: several segments load at once.
      await graph.readIndex(file);
    } catch (error) {
      throw new EngineError(
        'INDEX_CORRUPT',
        `cannot read HNSW graph ${file}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (graph.getNumDimensions() !== dim) {
      throw new EngineError(
        'INDEX_CORRUPT',
        `HNSW graph ${file} has dimension ${graph.getNumDimensions()}, expected ${dim}`,
      );
    }
    const read = performance.now();
    const index = new HnswIndex(graph, dim);
    if (labels) {
      if (labels.length !== graph.getCurrentCount()) {
        throw new EngineError(
          'INDEX_CORRUPT',
          `HNSW graph ${file} holds ${graph.getCurrentCount()} labels, its label list ${labels.length}`,
        );
      }
      // hnswlib cannot read back a deleted point, so only live labels are sampled.
      const gone = new Set(deleted);
      for (let i = 0; i < LABEL_SAMPLES && labels.length > 0; i++) {
        const label = labels[Math.floor((i * labels.length) / LABEL_SAMPLES)]!;
        if (gone.has(label)) continue;
        try {
          graph.getPoint(label);
        } catch {
          throw new EngineError('INDEX_CORRUPT', `HNSW graph ${file} lacks label ${label} of its label list`);
        }
      }
      index.setLiveAll(labels);
    } else {
      for (const label of graph.getIdsList()) index.setState(label, LIVE);
    }
    index.applyDeleted(deleted, (label) => graph.markDelete(label));
    index.loadTimings = { read: read - started, labels: performance.now() - read };
    return index;
  }

  /**
   * Opens a sealed segment's graph for searching and tombstones only: mapped when `mapped` (the
   * default) and clipdex's addon is built (isMapped says which), else read by hnswlib-node as
   * load() does. `labels` is only used on the hnswlib-node path (a mapped graph lists its labels
   * in the same pass that checks its links).
   */
  static async openSealed(
    file: string,
    dim: number,
    deleted: readonly number[],
    options: { readonly labels?: Uint32Array | undefined; readonly mapped?: boolean } = {},
  ): Promise<HnswIndex> {
    if (options.mapped === false || !mappedGraphSupport().available) {
      return HnswIndex.load(file, dim, deleted, options.labels);
    }
    const started = performance.now();
    const mapped = await MappedGraph.open(file, dim);
    const read = performance.now();
    const index = new HnswIndex(undefined, dim, mapped);
    try {
      index.setLiveAll(mapped.labels());
      index.applyDeleted(deleted, (label) => mapped.markDelete(label));
    } catch (error) {
      mapped.close();
      throw error;
    }
    index.loadTimings = { read: read - started, labels: performance.now() - read };
    return index;
  }

  /** Whether this graph is a read-only mapping of its file (openSealed with the addon). */
  get isMapped(): boolean {
    return this.mapped !== undefined;
  }

  get size(): number {
    return this.liveCount;
  }

  get slots(): number {
    return this.mapped ? this.mapped.count : this.mutable().getCurrentCount();
  }

  get capacity(): number {
    return this.mapped ? this.mapped.count : this.mutable().getMaxElements();
  }

  /** Grows capacity to at least `slots` in one step (instead of doubling as vectors arrive). */
  reserve(slots: number): void {
    this.assertMutable();
    const graph = this.mutable();
    if (slots > graph.getMaxElements()) graph.resizeIndex(slots);
  }

  has(label: number): boolean {
    return this.state(label) === LIVE;
  }

  add(label: number, vector: Float32Array): void {
    this.assertMutable();
    if (vector.length !== this.dim) {
      throw new EngineError(
        'DIMENSION_MISMATCH',
        `vector has ${vector.length} dimensions, the index ${this.dim}`,
      );
    }
    const graph = this.mutable();
    const before = this.state(label);
    if (before === ABSENT && graph.getCurrentCount() >= graph.getMaxElements()) {
      // A graph saved empty loads with capacity 0 (hnswlib keeps max(count, requested)).
      graph.resizeIndex(Math.max(1024, graph.getMaxElements() * 2));
    }
    // An existing label is updated in place; a deleted one is revived (allowReplaceDeleted off).
    graph.addPoint(Array.from(vector), label);
    this.setState(label, LIVE);
  }

  remove(label: number): void {
    if (this.state(label) !== LIVE) return;
    if (this.mapped) this.mapped.markDelete(label);
    else {
      this.assertMutable();
      this.mutable().markDelete(label);
    }
    this.setState(label, DELETED);
  }

  search(query: Float32Array, k: number, ef: number, filter?: (label: number) => boolean): VectorIndexHit[] {
    const limit = Math.min(k, this.liveCount);
    if (limit <= 0) return [];
    let result: { neighbors: number[]; distances: number[] };
    if (this.mapped) result = this.mapped.search(query, limit, Math.max(ef, limit), filter);
    else {
      const graph = this.mutable();
      graph.setEf(Math.max(ef, limit));
      result = graph.searchKnn(Array.from(query), limit, filter);
    }
    return result.neighbors.map((label, i) => ({ label, distance: result.distances[i]! }));
  }

  /**
   * One query over several sealed graphs at once, on up to `threads` threads: graph i is
   * searched at breadth efs[i]. Undefined unless every graph is mapped (then search each).
   */
  static searchSealed(
    indexes: readonly HnswIndex[],
    query: Float32Array,
    k: number,
    efs: readonly number[],
    threads: number,
  ): VectorIndexHit[][] | undefined {
    if (indexes.some((index) => !index.mapped)) return undefined;
    const searched = indexes.flatMap((index, i) => {
      const limit = Math.min(k, index.liveCount);
      return limit > 0 ? [{ index, limit, ef: Math.max(efs[i]!, limit) }] : [];
    });
    if (searched.length === 0) return [];
    const results = MappedGraph.searchMany(
      searched.map((s) => s.index.mapped!),
      query,
      searched.map((s) => s.limit),
      searched.map((s) => s.ef),
      threads,
    );
    return results.map((result) =>
      result.neighbors.map((label, i) => ({ label, distance: result.distances[i]! })),
    );
  }

  /** Unmaps a mapped graph (idempotent; later use throws). hnswlib-node's are left to the GC. */
  close(): void {
    this.mapped?.close();
  }

  /** Every label in the graph, live or deleted, ascending (what load() may be given back). */
  allLabels(): Uint32Array {
    const out = new Uint32Array(this.liveCount + this.deletedCount);
    let n = 0;
    for (let label = 0; label < this.states.length; label++) {
      if (this.states[label] !== ABSENT) out[n++] = label;
    }
    return out;
  }

  /** Labels searches can return, ascending, as a typed array. */
  liveLabelArray(): Uint32Array {
    const out = new Uint32Array(this.liveCount);
    const states = this.states;
    let n = 0;
    for (let label = 0; label < states.length; label++) if (states[label] === LIVE) out[n++] = label;
    return out;
  }

  /** Labels searches can return. */
  liveLabels(): number[] {
    const out: number[] = [];
    for (let label = 0; label < this.states.length; label++) if (this.states[label] === LIVE) out.push(label);
    return out;
  }

  get deleted(): number {
    return this.deletedCount;
  }

  deletedLabels(): number[] {
    const out: number[] = [];
    for (let label = 0; label < this.states.length; label++) {
      if (this.states[label] === DELETED) out.push(label);
    }
    return out;
  }

  async save(file: string): Promise<void> {
    this.assertMutable();
    this.saving = true;
    const graph = this.mutable();
    try {
      await graph.writeIndex(file);
    } finally {
      this.saving = false;
    }
  }

  get isSaving(): boolean {
    return this.saving;
  }

  private assertMutable(): void {
    if (this.saving) throw new EngineError('INTERNAL', 'HNSW graph is being saved; changes must wait');
  }

  private mutable(): Graph {
    if (!this.graph) throw new EngineError('INTERNAL', 'a sealed segment graph is read-only');
    return this.graph;
  }

  /** Applies a loaded graph's tombstone list: each must be a label the graph holds. */
  private applyDeleted(deleted: readonly number[], markDelete: (label: number) => void): void {
    for (const label of deleted) {
      if (this.state(label) !== LIVE) {
        throw new EngineError('INDEX_CORRUPT', `HNSW sidecar lists deleted label ${label} the graph lacks`);
      }
      // A graph saved after mark-delete already carries the flag; a sealed segment gets it here.
      try {
        markDelete(label);
      } catch {
        // already marked in the file
      }
      this.setState(label, DELETED);
    }
  }

  /** Marks a fresh index's labels live in one pass (load with a label list). */
  private setLiveAll(labels: ArrayLike<number>): void {
    let max = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
    if (max >= this.states.length) this.states = new Uint8Array(max + 1);
    let live = 0;
    for (let i = 0; i < labels.length; i++) {
      if (this.states[labels[i]!] === ABSENT) live++;
      this.states[labels[i]!] = LIVE;
    }
    this.liveCount = live;
  }

  private state(label: number): number {
    return label < this.states.length ? this.states[label]! : ABSENT;
  }

  private setState(label: number, next: number): void {
    if (label >= this.states.length) {
      const grown = new Uint8Array(Math.max(this.states.length * 2, label + 1));
      grown.set(this.states);
      this.states = grown;
    }
    const prev = this.states[label]!;
    if (prev === LIVE) this.liveCount--;
    if (prev === DELETED) this.deletedCount--;
    if (next === LIVE) this.liveCount++;
    if (next === DELETED) this.deletedCount++;
    this.states[label] = next;
  }
}
