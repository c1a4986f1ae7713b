/**
 * The two HNSW graphs (image, text) kept in step with the `vectors` table: loaded from their
 * checkpoints or rebuilt from SQLite, caught up by replaying rows newer than what they hold,
 * and saved atomically. While a save is in flight the graphs are frozen (hnswlib cannot change
 * a graph it is serialising) and catch-up waits until it ends.
 */
import { HnswIndex } from '../vector/hnsw-index.ts';
import { loadGraph, saveGraph, type GraphIdentity } from './hnsw-checkpoint.ts';
import type { ItemKind } from './library.types.ts';
import type { HnswParams, MetaRepository } from './meta.repository.ts';
import type { VectorRepository } from './vector.repository.ts';

export const KINDS: readonly ItemKind[] = ['image', 'text'];

/** What opening did to each graph: loaded as saved, or rebuilt from SQLite (and why). */
export interface GraphRecovery {
  readonly kind: ItemKind;
  readonly action: 'loaded' | 'rebuilt';
  readonly reason?: string;
  /** Vector changes replayed on top of the loaded or rebuilt graph. */
  readonly replayed: number;
}

interface Graph {
  index: HnswIndex;
  /** Everything with seq ≤ this is in the graph. */
  seq: number;
  /** seq of the last successful save, -1 if the file on disk is stale or missing. */
  savedSeq: number;
}

export class ModalityGraphs {
  private saving: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly identity: GraphIdentity,
    private readonly params: HnswParams,
    private readonly vectors: VectorRepository,
    private readonly meta: MetaRepository,
    private readonly graphs: Record<ItemKind, Graph>,
  ) {}

  static async open(dir: string, identity: GraphIdentity, params: HnswParams, vectors: VectorRepository, meta: MetaRepository) {
    const lastSeq = meta.lastSeq();
    const graphs = {} as Record<ItemKind, Graph>;
    const reasons = {} as Record<ItemKind, string | undefined>;
    for (const kind of KINDS) {
      let loaded = await loadGraph(dir, kind, identity);
      // A reader can look between the writer's two renames; the pair settles at once.
      if (!loaded.ok && loaded.reason.includes('checksum')) loaded = await loadGraph(dir, kind, identity);
      if (loaded.ok && loaded.seq <= lastSeq) {
        graphs[kind] = { index: loaded.index, seq: loaded.seq, savedSeq: loaded.seq };
      } else {
        // A graph ahead of the database cannot be trusted either: rebuild.
        reasons[kind] = loaded.ok ? 'graph is newer than the database' : loaded.reason;
        graphs[kind] = { ...rebuild(kind, identity.dim, params, vectors, meta), savedSeq: -1 };
      }
    }
    const set = new ModalityGraphs(dir, identity, params, vectors, meta, graphs);
    const replayed = set.catchUp();
    const recovery: GraphRecovery[] = KINDS.map((kind) => {
      const reason = reasons[kind];
      return reason === undefined ? { kind, action: 'loaded', replayed: replayed[kind] } : { kind, action: 'rebuilt', reason, replayed: replayed[kind] };
    });
    return { graphs: set, recovery };
  }

  index(kind: ItemKind): HnswIndex {
    return this.graphs[kind].index;
  }

  /** Whether any graph holds changes its file on disk lacks. */
  get dirty(): boolean {
    return KINDS.some((kind) => this.graphs[kind].savedSeq !== this.graphs[kind].seq);
  }

  /** Applies committed vector changes the graphs have not seen. Deferred while saving. */
  catchUp(): Record<ItemKind, number> {
    const counts: Record<ItemKind, number> = { image: 0, text: 0 };
    if (this.saving) return counts;
    const from = Math.min(...KINDS.map((kind) => this.graphs[kind].seq));
    let last = from;
    for (const op of this.vectors.since(from)) {
      last = op.seq;
      const graph = this.graphs[op.kind];
      if (op.seq <= graph.seq) continue;
      if (op.live) graph.index.add(op.itemId, op.vector);
      else graph.index.remove(op.itemId);
      counts[op.kind]++;
    }
    for (const kind of KINDS) this.graphs[kind].seq = Math.max(this.graphs[kind].seq, last);
    return counts;
  }

  /** Saves every graph that changed since its last save; concurrent calls share one save. */
  async checkpoint(): Promise<void> {
    while (this.saving) await this.saving.catch(() => undefined);
    if (!this.dirty) return;
    this.saving = this.saveAll();
    try {
      await this.saving;
    } finally {
      this.saving = undefined;
      this.catchUp();
    }
  }

  async idle(): Promise<void> {
    while (this.saving) await this.saving.catch(() => undefined);
  }

  /** Replaces one graph with a fresh build from SQLite (no deleted slots) and saves it. */
  async compact(kind: ItemKind): Promise<void> {
    await this.idle();
    this.graphs[kind] = { ...rebuild(kind, this.identity.dim, this.params, this.vectors, this.meta), savedSeq: -1 };
    this.catchUp();
    await this.checkpoint();
  }

  private async saveAll(): Promise<void> {
    for (const kind of KINDS) {
      const graph = this.graphs[kind];
      if (graph.savedSeq === graph.seq) continue;
      await saveGraph(this.dir, kind, graph.index, graph.seq, this.identity);
      graph.savedSeq = graph.seq;
    }
  }
}

/** Builds a graph from the live vectors; returns the seq it is complete up to. */
function rebuild(kind: ItemKind, dim: number, params: HnswParams, vectors: VectorRepository, meta: MetaRepository): { index: HnswIndex; seq: number } {
  // Read the seq first: rows committed during the scan are replayed again later, harmlessly.
  const seq = meta.lastSeq();
  const live = vectors.liveCount(kind);
  const index = HnswIndex.create({ dim, m: params.m, efConstruction: params.efConstruction, capacity: Math.ceil(live * 1.1) });
  for (const op of vectors.liveOfKind(kind)) index.add(op.itemId, op.vector);
  return { index, seq };
}
