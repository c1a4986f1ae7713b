/**
 * The only importer of clipdex's own native addon (native/hnsw-mapped): a sealed HNSW segment
 * file memory-mapped read-only instead of read into memory by hnswlib-node. Same file layout,
 * same search code (hnswlib's, compiled from the headers hnswlib-node ships); opening costs one
 * pass over labels and links instead of hnswlib's per-element seeks and a full copy, which is
 * what kept a 1M-item library's open above a second. The addon is built by `npm install`.
 */
import { createRequire } from 'node:module';
import { EngineError } from '../errors.ts';

export interface MappedGraphSearch {
  readonly neighbors: number[];
  readonly distances: number[];
}

/** The addon's class; see native/hnsw-mapped/mapped-graph.cc. */
interface NativeMappedGraph {
  open(file: string): Promise<void>;
  close(): void;
  getCurrentCount(): number;
  getDeletedCount(): number;
  getNumDimensions(): number;
  labels(): Float64Array;
  hasLabel(label: number): boolean;
  markDelete(label: number): void;
  setEf(ef: number): void;
  searchKnn(query: Float32Array, k: number, filter?: (label: number) => boolean): MappedGraphSearch;
}

interface Addon {
  MappedGraph: {
    new (dim: number): NativeMappedGraph;
    searchMany(
      graphs: NativeMappedGraph[],
      query: Float32Array,
      ks: number[],
      efs: number[],
      threads: number,
    ): MappedGraphSearch[];
  };
}

const ADDON_PATH = '../../native/hnsw-mapped/build/Release/clipdex_hnsw_mapped.node';

let addon: Addon | Error | undefined;

function loadAddon(): Addon | Error {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    } catch (error) {
      addon = error instanceof Error ? error : new Error(String(error));
    }
  }
  return addon;
}

/**
 * Whether mapped graphs can be opened here; when not, why (the addon was not built: `npm
 * install` builds it with the same compiler hnswlib-node and better-sqlite3 need).
 */
export function mappedGraphSupport(): { readonly available: boolean; readonly reason?: string } {
  const loaded = loadAddon();
  return loaded instanceof Error ? { available: false, reason: loaded.message } : { available: true };
}

/** A read-only graph; tombstones (markDelete) stay in this process. Close it to unmap. */
export class MappedGraph {
  private closed = false;

  private constructor(
    private readonly graph: NativeMappedGraph,
    readonly file: string,
  ) {}

  /**
   * Maps `file` on a libuv thread. A file that is not a complete hnswlib graph of `dim`
   * dimensions whose links all stay inside it is refused with INDEX_CORRUPT.
   */
  static async open(file: string, dim: number): Promise<MappedGraph> {
    const loaded = loadAddon();
    if (loaded instanceof Error) {
      throw new EngineError('INTERNAL', `clipdex's mapped-graph addon is not built: ${loaded.message}`, {
        cause: loaded,
      });
    }
    const graph = new loaded.MappedGraph(dim);
    try {
      await graph.open(file);
    } catch (error) {
      const corrupt = (error as { corrupt?: boolean }).corrupt === true;
      throw new EngineError(
        corrupt ? 'INDEX_CORRUPT' : 'IO_ERROR',
        `cannot map HNSW graph ${file}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return new MappedGraph(graph, file);
  }

  get count(): number {
    return this.live().getCurrentCount();
  }

  get markedDeleted(): number {
    return this.live().getDeletedCount();
  }

  get dim(): number {
    return this.live().getNumDimensions();
  }

  /** Every label, in the graph's internal order. */
  labels(): Float64Array {
    return this.live().labels();
  }

  hasLabel(label: number): boolean {
    return this.live().hasLabel(label);
  }

  /** Hides `label`; throws when it is absent or already hidden (as hnswlib does). */
  markDelete(label: number): void {
    this.live().markDelete(label);
  }

  search(query: Float32Array, k: number, ef: number, filter?: (label: number) => boolean): MappedGraphSearch {
    const graph = this.live();
    graph.setEf(ef);
    return graph.searchKnn(query, k, filter);
  }

  /**
   * Searches several graphs (distinct, open, one dimension) with one query at once, on up to
   * `threads` threads (the calling one included): a query's latency over a library's segments is
   * then its slowest segment's, not their sum. `ks[i]` and `efs[i]` are graph i's. No filter (a
   * JS predicate can only run on the JS thread).
   */
  static searchMany(
    graphs: readonly MappedGraph[],
    query: Float32Array,
    ks: readonly number[],
    efs: readonly number[],
    threads: number,
  ): MappedGraphSearch[] {
    const loaded = loadAddon();
    if (loaded instanceof Error) throw new EngineError('INTERNAL', loaded.message, { cause: loaded });
    return loaded.MappedGraph.searchMany(
      graphs.map((g) => g.live()),
      query,
      [...ks],
      [...efs],
      threads,
    );
  }

  /** Unmaps the file. Idempotent; any later use throws. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.graph.close();
  }

  private live(): NativeMappedGraph {
    if (this.closed) throw new EngineError('INTERNAL', `HNSW graph ${this.file} was closed`);
    return this.graph;
  }
}
