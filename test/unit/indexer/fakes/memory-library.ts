/** An in-memory stand-in for the library store, enough for the pipeline's unit tests. */
import path from 'node:path';
import type { IndexLibrary } from '../../../../indexer/pipeline/index-deps.ts';
import type {
  IndexingRun,
  Item,
  ItemKind,
  Root,
  WriteBatch,
  WriteResult,
} from '../../../../src/store/library.types.ts';

type MutableItem = { -readonly [K in keyof Item]: Item[K] };

export class MemoryLibrary implements IndexLibrary {
  roots: Root[] = [];
  items = new Map<number, MutableItem>();
  vectors = new Map<number, Float32Array>();
  pairs: Array<[number, number]> = [];
  runs: IndexingRun[] = [];
  writes: WriteBatch[] = [];
  checkpoints = 0;
  #nextId = 1;

  ensureRoot(absolutePath: string): Root {
    const found = this.roots.find((r) => r.path === absolutePath);
    if (found) return found;
    const root = { id: this.roots.length + 1, path: absolutePath };
    this.roots.push(root);
    return root;
  }
  listRoots(): Root[] {
    return [...this.roots];
  }
  resolvePath(item: Item): string | null {
    const root = this.roots.find((r) => r.id === item.rootId);
    return root && !item.uri.includes('#') ? path.join(root.path, ...item.uri.split('/')) : null;
  }
  findByUri(rootId: number | null, uri: string): Item | undefined {
    return [...this.items.values()].find((i) => i.rootId === rootId && i.uri === uri);
  }
  findByHash(kind: ItemKind, contentHash: string): Item[] {
    return [...this.items.values()].filter(
      (i) =>
        i.kind === kind && i.contentHash === contentHash && i.status !== 'failed' && i.status !== 'pending',
    );
  }
  *iterateRoot(rootId: number): IterableIterator<Item> {
    for (const i of this.items.values()) if (i.rootId === rootId && i.status !== 'deleted') yield i;
  }
  getVector(id: number): Float32Array | undefined {
    return this.vectors.get(id);
  }
  listFailed(limit = 100): Item[] {
    return [...this.items.values()].filter((i) => i.status === 'failed').slice(0, limit);
  }
  live(kind: ItemKind): Item[] {
    return [...this.items.values()].filter((i) => i.kind === kind && i.status !== 'deleted');
  }

  write(batch: WriteBatch): WriteResult {
    this.writes.push(batch);
    const ids: number[] = [];
    for (const w of batch.items ?? []) {
      let item = this.findByUri(w.rootId, w.uri) as MutableItem | undefined;
      if (!item) {
        item = {
          id: this.#nextId++,
          kind: w.kind,
          rootId: w.rootId,
          uri: w.uri,
          contentHash: null,
          size: null,
          mtimeMs: null,
          width: null,
          height: null,
          format: null,
          text: null,
          metadata: null,
          status: 'pending',
          error: null,
          createdAt: 0,
          updatedAt: 0,
        };
        this.items.set(item.id, item);
      }
      Object.assign(item, {
        contentHash: w.contentHash ?? null,
        size: w.size ?? null,
        mtimeMs: w.mtimeMs ?? null,
        width: w.width ?? null,
        height: w.height ?? null,
        format: w.format ?? null,
        text: w.text ?? null,
        metadata: w.metadata ?? null,
        status: w.status,
        error: w.error ?? null,
      });
      if (w.status === 'indexed') {
        // Like the real store: no vector is fine when the item keeps the one it has (metadata-only update).
        if (!w.vector && !this.vectors.has(item.id)) throw new Error('indexed without vector');
        if (w.vector) this.vectors.set(item.id, w.vector);
      } else this.vectors.delete(item.id);
      ids.push(item.id);
    }
    for (const m of batch.moves ?? []) {
      const item = this.items.get(m.id);
      if (!item) throw new Error(`move of unknown ${m.id}`);
      Object.assign(item, { rootId: m.rootId, uri: m.uri, mtimeMs: m.mtimeMs ?? item.mtimeMs });
    }
    for (const id of batch.deletions ?? []) {
      const item = this.items.get(id);
      if (item) item.status = 'deleted';
    }
    for (const p of batch.pairs ?? []) {
      const image = this.findByUri(p.image.rootId, p.image.uri);
      const text = this.findByUri(p.text.rootId, p.text.uri);
      if (!image || !text) throw new Error('pair with a missing side');
      if (!this.pairs.some(([a, b]) => a === image.id && b === text.id)) this.pairs.push([image.id, text.id]);
    }
    return { itemIds: ids };
  }
  startRun(): IndexingRun {
    const run: IndexingRun = {
      id: this.runs.length + 1,
      startedAt: 0,
      finishedAt: null,
      state: 'running',
      stats: {},
    };
    this.runs.push(run);
    return run;
  }
  finishRun(runId: number, state: IndexingRun['state'], stats: Record<string, number>): void {
    this.runs[runId - 1] = { ...this.runs[runId - 1]!, state, stats, finishedAt: 1 };
  }
  async checkpoint(): Promise<void> {
    this.checkpoints += 1;
    await Promise.resolve();
  }
}
