/**
 * An open library: the Library contract over one SQLite database (the truth), each modality's
 * vector index (a tail plus sealed HNSW segments, derived) and, for writers, the write lock.
 * Created by openLibrary().
 */
import { FINGERPRINT_BYTES } from '../image/fingerprint.ts';
import path from 'node:path';
import type { ModelFingerprint } from '../common/model-fingerprint.ts';
import { EngineError } from '../errors.ts';
import { translateSqliteError, type Db } from './database.ts';
import { rowToItem, type ItemRepository } from './item.repository.ts';
import { matchExpression, queryWords } from '../keyword/keyword-text.ts';
import type { KeywordRepository } from './keyword.repository.ts';
import { keywordSearch } from './keyword-search.ts';
import { KeywordWorker } from './keyword-worker-host.ts';
import type {
  ImageSignature,
  IndexingRun,
  Item,
  ItemKind,
  KeywordHit,
  KeywordSearchOptions,
  Library,
  NeighbourPair,
  NeighbourSettings,
  Root,
  Shot,
  StatusCounts,
  StoredKind,
  TagLabelSet,
  TagScore,
  TagSettings,
  VectorHit,
  VectorSearchOptions,
  WriteBatch,
  WriteResult,
} from './library.types.ts';
import type { LibraryMeta } from './meta.repository.ts';
import type { MetaRepository } from './meta.repository.ts';
import {
  KINDS,
  type GraphRecovery,
  type KindInfo,
  type OpenTimings,
  type VectorSegments,
} from './vector-segments.ts';
import type { PhashRepository } from './phash.repository.ts';
import type { NeighbourRepository } from './neighbour.repository.ts';
import type { ItmFeatureRepository } from './itm-feature.repository.ts';
import type { RootRepository } from './root.repository.ts';
import type { RunRepository } from './run.repository.ts';
import type { ShotRepository } from './shot.repository.ts';
import type { TagRepository } from './tag.repository.ts';
import { scoreIds, searchGraph } from './vector-search.ts';
import type { VectorRepository } from './vector.repository.ts';
import { applyBatch, validateBatch } from './write-batch.ts';
import { validateVideos } from './write-video.ts';
import type { WriteLock } from './write-lock.ts';

export interface LibraryParts {
  readonly dir: string;
  readonly db: Db;
  readonly meta: LibraryMeta;
  readonly schemaVersion: number;
  readonly repos: {
    items: ItemRepository;
    vectors: VectorRepository;
    roots: RootRepository;
    runs: RunRepository;
    meta: MetaRepository;
    phash: PhashRepository;
    neighbours: NeighbourRepository;
    tags: TagRepository;
    itm?: ItmFeatureRepository;
    keywords?: KeywordRepository;
    shots: ShotRepository;
  };
  readonly segments: VectorSegments;
  readonly recovery: readonly GraphRecovery[];
  /** Problems opening met and repaired (dropped segments), for the log. */
  readonly warnings: readonly string[];
  readonly lock: WriteLock | undefined;
  readonly efSearch: number;
}

export interface CompactionReport {
  readonly kind: ItemKind;
  /** Live vectors in the rebuilt segments. */
  readonly vectors: number;
  /** Live vectors in SQLite; equals `vectors` unless something is badly wrong. */
  readonly indexedInDatabase: number;
  /** Graph slots (live + deleted) before and after; the difference was reclaimed. */
  readonly slotsBefore: number;
  readonly slotsAfter: number;
  readonly ms: number;
}

/** What `clipdex library info` shows. */
export interface LibraryInfo {
  readonly dir: string;
  readonly libraryId: string;
  readonly schemaVersion: number;
  readonly model: {
    readonly name: string;
    readonly id: string;
    readonly dim: number;
    readonly dir: string | null;
  };
  /** `indexed`: items of the kind; `vectorsInDatabase`: live vectors in its space (shots included). */
  readonly kinds: readonly (KindInfo & { readonly indexed: number; readonly vectorsInDatabase: number })[];
  /** Vector changes newer than this are replayed from SQLite at open. */
  readonly mark: number;
  readonly warnings: readonly { readonly at: string; readonly kind: ItemKind; readonly message: string }[];
  readonly backgroundError: string | null;
}

export class LibraryStore implements Library {
  readonly dir: string;
  readonly fingerprint: ModelFingerprint;
  readonly readOnly: boolean;
  /** What opening did to each HNSW graph (loaded, replayed, rebuilt), for logs and tests. */
  readonly recovery: readonly GraphRecovery[];
  /** Problems opening repaired (segments dropped and rebuilt from SQLite), for the log. */
  readonly warnings: readonly string[];
  private closing: Promise<void> | undefined;

  constructor(private readonly parts: LibraryParts) {
    this.dir = parts.dir;
    this.fingerprint = parts.meta.fingerprint;
    this.readOnly = parts.lock === undefined;
    this.recovery = parts.recovery;
    this.warnings = parts.warnings;
  }

  /** Where opening spent its time, phase by phase (benches, diagnostics). */
  get openTimings(): OpenTimings {
    return this.parts.segments.openTimings;
  }

  get isOpen(): boolean {
    return this.closing === undefined;
  }

  // roots
  ensureRoot(absolutePath: string): Root {
    this.assertWritable();
    return this.sql('register root', () => this.parts.repos.roots.ensure(absolutePath));
  }
  /** Re-points a root after its folder moved; items keep their ids and vectors. */
  relocateRoot(rootId: number, absolutePath: string): Root {
    this.assertWritable();
    return this.sql('relocate root', () => this.parts.repos.roots.relocate(rootId, absolutePath));
  }
  listRoots(): Root[] {
    this.assertOpen();
    return this.parts.repos.roots.list();
  }
  resolvePath(item: Item): string | null {
    this.assertOpen();
    if (item.rootId === null) return null;
    const root = this.parts.repos.roots.get(item.rootId);
    if (!root) return null;
    // Texts point into a file with '#<line>', shots into their video with '#shot=<n>'; image
    // names may legitimately contain '#'.
    const uri = item.kind === 'text' || item.kind === 'shot' ? item.uri.replace(/#[^/]*$/, '') : item.uri;
    return path.join(root.path, ...uri.split('/'));
  }

  // reads
  getItem(id: number): Item | undefined {
    this.assertOpen();
    const row = this.parts.repos.items.byId.get(id);
    return row ? rowToItem(row) : undefined;
  }
  getItems(ids: readonly number[]): Item[] {
    this.assertOpen();
    return ids.flatMap((id) => {
      const row = this.parts.repos.items.byId.get(id);
      return row ? [rowToItem(row)] : [];
    });
  }
  findByUri(rootId: number | null, uri: string): Item | undefined {
    this.assertOpen();
    const row = this.parts.repos.items.byPlace.get({ rootId, uri });
    return row ? rowToItem(row) : undefined;
  }
  findByHash(kind: StoredKind, contentHash: string): Item[] {
    this.assertOpen();
    return this.parts.repos.items.byHash.all(kind, contentHash).map(rowToItem);
  }
  /** Pages through the root by id, so the caller may write between items. */
  *iterateRoot(rootId: number): IterableIterator<Item> {
    this.assertOpen();
    let after = 0;
    for (;;) {
      const rows = this.parts.repos.items.byRootPage.all(rootId, after, 1000);
      for (const row of rows) yield rowToItem(row);
      const last = rows[rows.length - 1];
      if (!last || rows.length < 1000) return;
      after = last.id;
    }
  }
  listFailed(limit = 100): Item[] {
    this.assertOpen();
    return this.parts.repos.items.failed.all(limit).map(rowToItem);
  }
  getVector(id: number): Float32Array | undefined {
    this.assertOpen();
    return this.parts.repos.vectors.get(id)?.vector;
  }
  getItmFeatures(stageId: string, ids: readonly number[]): Map<number, Uint8Array> {
    this.assertOpen();
    return this.parts.repos.itm?.getMany(stageId, ids) ?? new Map<number, Uint8Array>();
  }
  /** Images holding states of this ITM stage (for status and tests). */
  itmFeatureCount(stageId: string): number {
    this.assertOpen();
    return this.parts.repos.itm?.count(stageId) ?? 0;
  }
  linkedItems(id: number): Item[] {
    this.assertOpen();
    return this.parts.repos.items.linked.all(id, id).map(rowToItem);
  }
  counts(kind: StoredKind): StatusCounts {
    this.assertOpen();
    return this.parts.repos.items.counts(kind);
  }

  // videos
  shotsOf(videoId: number): Shot[] {
    this.assertOpen();
    return this.parts.repos.shots.liveOf(videoId);
  }
  shotsByIds(ids: readonly number[]): Map<number, Shot> {
    this.assertOpen();
    return this.parts.repos.shots.byIds(ids);
  }
  shotThumbnail(shotId: number): Uint8Array | undefined {
    this.assertOpen();
    return this.parts.repos.shots.thumbnail(shotId);
  }
  /**
   * Items whose text contains every word of `words` (SQLite FTS5, best match first). Words are
   * quoted, so FTS syntax in user input is taken literally.
   */
  fullTextSearch(words: string, limit = 20): Item[] {
    this.assertOpen();
    const terms = words
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => `"${w.replaceAll('"', '""')}"`);
    if (terms.length === 0) return [];
    return this.parts.repos.items.fullText.all(terms.join(' '), limit).map(rowToItem);
  }
  /** Live vectors in the HNSW graph of a kind (equals the SQLite count once caught up). */
  graphSize(kind: ItemKind): number {
    this.assertOpen();
    return this.parts.segments.size(kind);
  }

  /** Segments, tail, model and warnings, for `clipdex library info`. */
  info(): LibraryInfo {
    this.assertOpen();
    const { meta, repos, segments } = this.parts;
    const seg = segments.info();
    return {
      dir: this.dir,
      libraryId: meta.libraryId,
      schemaVersion: this.parts.schemaVersion,
      model: {
        name: meta.fingerprint.name,
        id: meta.fingerprint.id,
        dim: meta.dim,
        dir: repos.meta.modelDir() ?? null,
      },
      kinds: seg.kinds.map((k) => ({
        ...k,
        indexed: repos.items.counts(k.kind).indexed,
        vectorsInDatabase: repos.vectors.liveCount(k.kind),
      })),
      mark: seg.mark,
      warnings: seg.warnings.map((w) => ({
        at: new Date(w.at).toISOString(),
        kind: w.kind,
        message: w.message,
      })),
      backgroundError: segments.lastBackgroundError ?? null,
    };
  }

  /** Segment files with their recorded sha256, for `library verify`. */
  segmentFiles() {
    this.assertOpen();
    return this.parts.segments.entries();
  }

  // writes
  write(batch: WriteBatch): WriteResult {
    this.assertWritable();
    const meta = this.parts.meta;
    if (batch.fingerprintId !== undefined && batch.fingerprintId !== meta.fingerprint.id) {
      throw new EngineError(
        'MODEL_MISMATCH',
        `vectors from model ${batch.fingerprintId} offered to library ${this.dir}, which holds vectors of ${describe(meta.fingerprint)}; re-embed into a new library`,
        {
          details: { library: meta.fingerprint.id, offered: batch.fingerprintId },
        },
      );
    }
    const vectors = validateBatch(batch, meta.dim);
    const shotVectors = validateVideos(batch, meta.dim);
    const { db, repos } = this.parts;
    const result = this.sql(`cannot write to library ${this.dir}`, () =>
      db.transaction(() => applyBatch(repos, batch, vectors, Date.now(), shotVectors))(),
    );
    this.parts.segments.catchUp();
    return batch.videos === undefined ? { itemIds: result.itemIds } : result;
  }
  startRun(): IndexingRun {
    this.assertWritable();
    return this.sql('start run', () => this.parts.repos.runs.start(Date.now()));
  }
  finishRun(runId: number, state: IndexingRun['state'], stats: Record<string, number>): void {
    this.assertWritable();
    this.sql('finish run', () => this.parts.repos.runs.finishRun(runId, state, stats, Date.now()));
  }
  lastRun(): IndexingRun | undefined {
    this.assertOpen();
    return this.parts.repos.runs.lastRun();
  }
  async checkpoint(): Promise<void> {
    this.assertOpen();
    if (this.readOnly) return; // readers never write files; their tails live in memory only
    await this.parts.segments.checkpoint();
  }
  /** Waits for background seals and merges (benchmarks and tests; never needed for correctness). */
  async idle(): Promise<void> {
    this.assertOpen();
    await this.parts.segments.idle();
  }
  /** Rebuilds each kind's segments from SQLite in parallel, dropping deleted slots, and saves them. */
  async compact(): Promise<CompactionReport[]> {
    this.assertWritable();
    const reports: CompactionReport[] = [];
    const { segments } = this.parts;
    const keywords = this.parts.repos.keywords;
    if (keywords) this.sql('optimise keyword index', () => keywords.optimize());
    for (const kind of KINDS) {
      const slotsBefore = segments.slots(kind);
      const started = performance.now();
      await segments.compact(kind);
      reports.push({
        kind,
        vectors: segments.size(kind),
        indexedInDatabase: this.parts.repos.vectors.liveCount(kind),
        slotsBefore,
        slotsAfter: segments.slots(kind),
        ms: performance.now() - started,
      });
    }
    return reports;
  }

  // duplicates and tags
  imageSignatures(afterId: number, limit: number): ImageSignature[] {
    this.assertOpen();
    return this.parts.repos.phash.page(afterId, limit);
  }
  perceptualHashes(ids: readonly number[]): Map<number, string> {
    this.assertOpen();
    return this.parts.repos.phash.byIds(ids);
  }
  fingerprints(ids: readonly number[]): Map<number, Uint8Array> {
    this.assertOpen();
    return this.parts.repos.phash.fingerprintsByIds(ids);
  }
  imagesWithoutSignature(afterId: number, limit: number): number[] {
    this.assertOpen();
    return this.parts.repos.phash.missing(afterId, limit);
  }
  writeImageSignatures(
    entries: readonly { readonly id: number; readonly phash: string; readonly fingerprint: Uint8Array }[],
  ): void {
    this.assertWritable();
    const { db, repos } = this.parts;
    for (const e of entries) {
      if (!/^[0-9a-f]{16}$/.test(e.phash) || e.fingerprint.length !== FINGERPRINT_BYTES) {
        throw new EngineError('INVALID_INPUT', `image ${e.id}: malformed hash or fingerprint`);
      }
    }
    this.sql('store image signatures', () =>
      db.transaction(() => {
        for (const e of entries) {
          repos.phash.put.run(e.id, e.phash);
          repos.phash.putFingerprint.run(e.id, e.fingerprint);
        }
      })(),
    );
  }
  neighbourSettings(): NeighbourSettings | undefined {
    this.assertOpen();
    return this.parts.repos.neighbours.settings();
  }
  storeNeighbours(
    settings: NeighbourSettings,
    entries: readonly { readonly id: number; readonly neighbours: readonly NeighbourPair[] }[],
  ): void {
    this.assertWritable();
    const { db, repos } = this.parts;
    this.sql('store neighbour pairs', () =>
      db.transaction(() => {
        const current = repos.neighbours.settings();
        if (
          !current ||
          current.floor !== settings.floor ||
          current.k !== settings.k ||
          current.ef !== settings.ef
        ) {
          repos.neighbours.clear(settings);
        }
        repos.neighbours.store(entries);
      })(),
    );
  }
  forEachNeighbourPair(fn: (pair: NeighbourPair) => void): void {
    this.assertOpen();
    this.parts.repos.neighbours.forEachPair(fn);
  }
  neighboursDone(afterId: number, limit: number): number[] {
    this.assertOpen();
    return this.parts.repos.neighbours.done(afterId, limit);
  }
  unlinkedImages(afterId: number, limit: number): number[] {
    this.assertOpen();
    return this.parts.repos.neighbours.unlinked(afterId, limit);
  }
  tagLabelSet(): TagLabelSet | undefined {
    this.assertOpen();
    return this.parts.repos.tags.labelSet();
  }
  setTagLabels(labels: TagLabelSet['labels'], settings: TagSettings): void {
    this.assertWritable();
    for (const l of labels) {
      if (l.vector.length !== this.parts.meta.dim) {
        throw new EngineError(
          'DIMENSION_MISMATCH',
          `label ${JSON.stringify(l.label)} has a ${l.vector.length}-d vector; this library holds ${this.parts.meta.dim}-d vectors`,
        );
      }
    }
    const { db, repos } = this.parts;
    this.sql('store tag labels', () => db.transaction(() => repos.tags.replaceLabels(labels, settings))());
  }
  writeTags(entries: readonly { readonly itemId: number; readonly tags: readonly TagScore[] }[]): void {
    this.assertWritable();
    const { db, repos } = this.parts;
    this.sql('store tags', () =>
      db.transaction(() => {
        for (const e of entries) repos.tags.replaceItemTags(e.itemId, e.tags);
      })(),
    );
  }
  tagsFor(ids: readonly number[]): Map<number, TagScore[]> {
    this.assertOpen();
    return this.parts.repos.tags.byIds(ids);
  }
  imageVectors(afterId: number, limit: number): { id: number; vector: Float32Array }[] {
    this.assertOpen();
    return this.parts.repos.tags.imageVectors(afterId, limit);
  }

  // search
  search(kind: ItemKind, query: Float32Array, options: VectorSearchOptions): VectorHit[] {
    this.assertOpen();
    const { meta, segments, repos, db } = this.parts;
    const index = {
      search: (q: Float32Array, k: number, ef: number, filter?: (label: number) => boolean) =>
        segments.search(kind, q, k, ef, filter),
    };
    return searchGraph(
      {
        index,
        db,
        vectors: repos.vectors,
        // Read only by filters: an unfiltered search then costs no SQL at all.
        get roots() {
          return repos.roots.list();
        },
        dim: meta.dim,
        efSearch: this.parts.efSearch,
      },
      kind,
      query,
      options,
    );
  }
  score(query: Float32Array, ids: readonly number[]): VectorHit[] {
    this.assertOpen();
    return scoreIds(this.parts.repos.vectors, this.parts.meta.dim, query, ids);
  }
  keywordSearch(kind: ItemKind, query: string, options: KeywordSearchOptions): KeywordHit[] {
    this.assertOpen();
    return keywordSearch(this.parts.repos, kind, query, options);
  }
  /**
   * A keyword leg on a worker thread with its own read-only connection (the server's: its FTS5
   * query then runs while the main thread encodes the query text). Close it before the library.
   */
  openKeywordWorker(): KeywordWorker {
    this.assertOpen();
    return new KeywordWorker(this.parts.dir);
  }
  keywordMatches(query: string, ids: readonly number[]): Map<number, string[]> {
    this.assertOpen();
    const keywords = this.parts.repos.keywords;
    if (!keywords || ids.length === 0) return new Map();
    const match = matchExpression(queryWords(query));
    if (match === null) return new Map();
    return this.sql('keyword matches', () => keywords.matchedFields(match, ids));
  }
  refresh(): void {
    this.assertOpen();
    this.parts.segments.refresh();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { segments, db, lock } = this.parts;
    try {
      await segments.close();
    } finally {
      // Leave the file in rollback-journal mode so it can be opened read-only from read-only
      // media (WAL needs a writable -shm). Fails harmlessly while readers are attached.
      if (lock) {
        try {
          db.pragma('busy_timeout = 0'); // never keep a closing writer waiting on readers
          db.pragma('journal_mode = DELETE');
        } catch {
          // a reader still has the database open; it stays in WAL mode, which is fine
        }
      }
      this.parts.repos.keywords?.close();
      db.close();
      lock?.release();
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new EngineError('CLOSED', `library ${this.dir} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw new EngineError('INVALID_INPUT', `library ${this.dir} was opened read-only`);
  }

  private sql<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw translateSqliteError(error, what);
    }
  }
}

export function describe(fingerprint: ModelFingerprint): string {
  return `${fingerprint.name} (id ${fingerprint.id}, ${fingerprint.dim}-d)`;
}
