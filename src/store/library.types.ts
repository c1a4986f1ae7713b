/**
 * The library store contract: what the indexer and the server may ask of a library.
 * Implemented by src/store (SQLite is the source of truth, HNSW is derived and rebuildable).
 */
import type { ModelFingerprint } from '../common/model-fingerprint.ts';

/** The two vector spaces (and search targets). Video shots live in the image space. */
export type ItemKind = 'image' | 'text';
/** A video (no vector of its own) and its shots (each an item with a keyframe vector). */
export type VideoKind = 'video' | 'shot';
/** What an item row can be. */
export type StoredKind = ItemKind | VideoKind;
/** Kinds a search may be narrowed to (`kinds` filter): shots are found as their video. */
export type SearchKind = 'image' | 'text' | 'video';
export type ItemStatus = 'pending' | 'indexed' | 'failed' | 'deleted';

export interface Item {
  readonly id: number;
  readonly kind: StoredKind;
  /** Registered root the uri is relative to; null for texts that came from no file. */
  readonly rootId: number | null;
  /**
   * Where the item came from, relative to its root, '/'-separated. Files: the relative path.
   * Texts from a corpus or caption manifest: `<relative file>#<line or index>`.
   */
  readonly uri: string;
  /** sha256 hex of the file bytes (images) or of the UTF-8 text (texts). */
  readonly contentHash: string | null;
  readonly size: number | null;
  readonly mtimeMs: number | null;
  readonly width: number | null;
  readonly height: number | null;
  /** Image format as decoded ('jpeg', 'png', …); null for texts. */
  readonly format: string | null;
  readonly text: string | null;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly status: ItemStatus;
  /** Why the item failed (status 'failed'), for people. */
  readonly error: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Root {
  readonly id: number;
  /** Absolute path on this machine. */
  readonly path: string;
}

/** An item to insert or update (matched on rootId + uri), with its vector when indexed. */
export interface ItemWrite {
  readonly kind: ItemKind;
  readonly rootId: number | null;
  readonly uri: string;
  readonly contentHash?: string | null;
  readonly size?: number | null;
  readonly mtimeMs?: number | null;
  readonly width?: number | null;
  readonly height?: number | null;
  readonly format?: string | null;
  readonly text?: string | null;
  readonly metadata?: Record<string, unknown> | null;
  /** 'indexed' requires `vector`; 'failed' requires `error`. */
  readonly status: 'indexed' | 'failed' | 'pending';
  readonly error?: string | null;
  /** L2-normalised, length = the library's dim. */
  readonly vector?: Float32Array;
  /**
   * Images: 64-bit perceptual hash (16 hex digits) of the decoded pixels. Omitted: kept as is,
   * or copied from an item with the same bytes; null: removed (the file no longer decodes).
   */
  readonly phash?: string | null;
  /** Images: the picture's fingerprint (src/image/fingerprint.ts), handled like `phash`. */
  readonly fingerprint?: Uint8Array | null;
  /** Zero-shot tags (replace the item's tags when given; [] clears them). */
  readonly tags?: readonly TagScore[];
  /** Image states of the re-ranking stage named by the batch's `itmStageId` (images only). */
  readonly itmFeatures?: Uint8Array;
}

/** One stored zero-shot tag: a configured label and its probability for the item. */
export interface TagScore {
  readonly label: string;
  /** Softmax probability over the configured label set (0–1). */
  readonly score: number;
}

/** The configured label set: each label's prompt-averaged text vector, and how tags are chosen. */
export interface TagLabelSet {
  readonly labels: readonly { readonly label: string; readonly vector: Float32Array }[];
  readonly settings: TagSettings;
}

export interface TagSettings {
  /** Keep labels whose probability is at least this. */
  readonly threshold: number;
  /** Prompt templates with `{}` for the label; their vectors are averaged. */
  readonly templates: readonly string[];
  /** Multiplier on cosines before the softmax. */
  readonly logitScale: number;
  /** At most this many tags per item (the most probable). */
  readonly maxTags: number;
}

/** What duplicate search needs to know of one image. */
export interface ImageSignature {
  readonly id: number;
  readonly uri: string;
  readonly contentHash: string | null;
  /** null: no perceptual hash (the image failed to decode, or was indexed before hashes existed). */
  readonly phash: string | null;
  /** Whether the image has a picture fingerprint (absent: not known). */
  readonly hasFingerprint?: boolean;
  readonly width: number | null;
  readonly height: number | null;
  readonly size: number | null;
  readonly format: string | null;
  readonly mtimeMs: number | null;
  /** Capture date from the photo's metadata (epoch ms), when it has one. */
  readonly takenAtMs?: number | null;
}

/** Two images whose embeddings are close, stored when either was written (src/duplicates). */
export interface NeighbourPair {
  readonly a: number;
  readonly b: number;
  readonly cosine: number;
}

/** How stored neighbour pairs were gathered: pairs below `floor`, or beyond `k` per query, are not stored. */
export interface NeighbourSettings {
  readonly floor: number;
  readonly k: number;
  readonly ef: number;
}

/** A video file and its shots, written together (replacing any shots it had). */
export interface VideoWrite {
  readonly rootId: number;
  readonly uri: string;
  readonly contentHash?: string | null;
  readonly size?: number | null;
  readonly mtimeMs?: number | null;
  /** Display size (rotation applied). */
  readonly width?: number | null;
  readonly height?: number | null;
  /** File type by extension ('mp4', 'mov', 'mkv', 'webm', …). */
  readonly format?: string | null;
  /** Duration, codec, frame rate, capture date, … (see the indexer's video planner). */
  readonly metadata?: Record<string, unknown> | null;
  /** 'indexed' requires at least one shot; 'failed' requires `error`. */
  readonly status: 'indexed' | 'failed';
  readonly error?: string | null;
  readonly shots?: readonly ShotWrite[];
}

export interface ShotWrite {
  /** Seconds from the start of the video. */
  readonly start: number;
  readonly end: number;
  /** The keyframe's vector (image space), L2-normalised. */
  readonly vector: Float32Array;
  /** The keyframe as a small JPEG. */
  readonly thumbnail?: Uint8Array | null;
}

/** A stored shot of a video. */
export interface Shot {
  /** The shot's own item id (its vector's label; /api/items/:id/similar works from it). */
  readonly id: number;
  readonly videoId: number;
  /** 0-based order in the video. */
  readonly position: number;
  readonly start: number;
  readonly end: number;
}

/** A file that moved: same content, new place; keeps its id and vector. */
export interface ItemMove {
  readonly id: number;
  readonly rootId: number | null;
  readonly uri: string;
  readonly mtimeMs?: number | null;
}

/** Image ↔ caption link, by (rootId, uri) so both sides may be written in the same batch. */
export interface PairWrite {
  readonly image: { readonly rootId: number | null; readonly uri: string };
  readonly text: { readonly rootId: number | null; readonly uri: string };
}

/** Everything one indexing batch changes; applied in one SQLite transaction. */
export interface WriteBatch {
  readonly items?: readonly ItemWrite[];
  readonly moves?: readonly ItemMove[];
  /** Item ids whose files vanished: marked 'deleted' and removed from search (a video's shots too). */
  readonly deletions?: readonly number[];
  /** Videos with their shots; applied after `items`. */
  readonly videos?: readonly VideoWrite[];
  readonly pairs?: readonly PairWrite[];
  /**
   * Fingerprint id of the model that made the batch's vectors. When given and it differs from
   * the library's, the batch is refused with MODEL_MISMATCH (the guard against mixing models).
   */
  readonly fingerprintId?: string;
  /** Id of the ITM stage whose image states the items' `itmFeatures` hold. */
  readonly itmStageId?: string;
}

export interface WriteResult {
  /** Ids of `items`, in the order given. */
  readonly itemIds: readonly number[];
  /** Ids of `videos`, in the order given. */
  readonly videoIds?: readonly number[];
}

/** Restricts search to items matching all given fields. Dates are epoch milliseconds. */
export interface ItemFilter {
  readonly pathPrefix?: string;
  readonly formats?: readonly string[];
  readonly minSize?: number;
  readonly maxSize?: number;
  readonly modifiedAfter?: number;
  readonly modifiedBefore?: number;
  readonly minWidth?: number;
  readonly maxWidth?: number;
  readonly minHeight?: number;
  readonly maxHeight?: number;
  /** Only items carrying every one of these stored tags. */
  readonly tags?: readonly string[];
  /**
   * Only these kinds (issue 14). In the image space 'image' means photos and 'video' means video
   * shots; omitted: everything in the searched space.
   */
  readonly kinds?: readonly SearchKind[];
  /** Capture date (EXIF/XMP/IPTC, else the file's mtime), epoch ms, exclusive bounds. */
  readonly takenAfter?: number;
  readonly takenBefore?: number;
  /** Case-insensitive substring of the camera ("canon", "iPhone 12"). */
  readonly camera?: string;
  /** Embedded keywords the item must all carry (case-insensitive, whole keywords). */
  readonly keywords?: readonly string[];
  /** Within `km` kilometres (great-circle) of a point; items without GPS never match. */
  readonly near?: { readonly lat: number; readonly lon: number; readonly km: number };
}

export interface VectorSearchOptions {
  readonly k: number;
  /** HNSW search breadth; defaults to max(k, library default). */
  readonly ef?: number;
  readonly filter?: ItemFilter;
  /** Exclude these ids (e.g. the query item itself). */
  readonly excludeIds?: readonly number[];
}

export interface KeywordSearchOptions {
  readonly k: number;
  readonly filter?: ItemFilter;
  readonly excludeIds?: readonly number[];
}

export interface KeywordHit {
  readonly id: number;
  /** BM25 relevance (positive, larger is better; not comparable across queries). */
  readonly score: number;
}

/** A keyword leg answered off the main thread (same results as Library.keywordSearch). */
export interface KeywordSearcher {
  search(kind: ItemKind, query: string, options: KeywordSearchOptions): Promise<KeywordHit[]>;
  close(): Promise<void>;
}

export interface VectorHit {
  readonly id: number;
  /** Cosine similarity of the query and the item's stored vector. */
  readonly score: number;
}

export interface StatusCounts {
  readonly indexed: number;
  readonly failed: number;
  readonly pending: number;
  readonly deleted: number;
}

export interface IndexingRun {
  readonly id: number;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly state: 'running' | 'finished' | 'interrupted' | 'failed';
  readonly stats: Readonly<Record<string, number>>;
}

export interface OpenLibraryOptions {
  /**
   * Model whose vectors this library holds. Required to create a new library; when the
   * library exists it must match (MODEL_MISMATCH otherwise, naming both models).
   * Omit to open with whatever model the library records.
   */
  readonly fingerprint?: ModelFingerprint;
  /** Readers never take the write lock; any number may run beside one writer. */
  readonly readOnly?: boolean;
  /** Create the directory and database when missing (default: true unless readOnly). */
  readonly create?: boolean;
  /** HNSW parameters for a newly created library. */
  readonly hnsw?: { readonly m?: number; readonly efConstruction?: number; readonly efSearch?: number };
  /**
   * Directory the model in use was loaded from; writers record it so later commands without
   * --model can load the same model (the fingerprint still decides whether it is the same).
   */
  readonly modelDir?: string;
  /** Segment tuning (tests and benchmarks); the defaults suit libraries of any size. */
  readonly segments?: {
    readonly tailLimit?: number;
    readonly mergeFactor?: number;
    readonly purgeRatio?: number;
    /** Merges never grow a segment past this many vectors. */
    readonly maxSegment?: number;
    readonly workers?: number;
    readonly merge?: boolean;
    /** Memory-map sealed segments (default); false reads them with hnswlib-node. */
    readonly mapped?: boolean;
    /** Threads one unfiltered query may use over several mapped segments (default: one per core). */
    readonly searchThreads?: number;
    /** Called at each step of seals and merges (crash tests time their kills with it). */
    readonly onEvent?: (
      event: 'seal-start' | 'seal-built' | 'merge-start' | 'merge-built' | 'manifest-saved',
    ) => void;
  };
}

/** An open library directory. Owns its database handle, HNSW graphs and write lock. */
export interface Library {
  readonly dir: string;
  readonly fingerprint: ModelFingerprint;
  readonly readOnly: boolean;

  // roots
  ensureRoot(absolutePath: string): Root;
  listRoots(): Root[];
  /** Absolute path of a file-backed item, or null for texts with no file. */
  resolvePath(item: Item): string | null;

  // reads
  getItem(id: number): Item | undefined;
  getItems(ids: readonly number[]): Item[];
  findByUri(rootId: number | null, uri: string): Item | undefined;
  /** Indexed or deleted items of a kind with this content hash (for move detection). */
  findByHash(kind: StoredKind, contentHash: string): Item[];
  /** All non-deleted items under a root, streamed (for deletion detection on rescans). */
  iterateRoot(rootId: number): IterableIterator<Item>;
  listFailed(limit?: number): Item[];
  getVector(id: number): Float32Array | undefined;
  /** Stored image states of an ITM stage for these items (items without any are absent). */
  getItmFeatures(stageId: string, ids: readonly number[]): Map<number, Uint8Array>;
  /** Caption texts linked to an image, or images linked to a text (deleted ones left out). */
  linkedItems(id: number): Item[];
  counts(kind: StoredKind): StatusCounts;

  // videos (issue 14)
  /** The live shots of a video, in order. */
  shotsOf(videoId: number): Shot[];
  /** The shot rows of the given shot item ids (for turning shot hits into video hits). */
  shotsByIds(ids: readonly number[]): Map<number, Shot>;
  /** A shot's keyframe JPEG. */
  shotThumbnail(shotId: number): Uint8Array | undefined;

  // writes (throw CLOSED after close, LIBRARY_BUSY/IO_ERROR as appropriate)
  write(batch: WriteBatch): WriteResult;
  startRun(): IndexingRun;
  finishRun(runId: number, state: IndexingRun['state'], stats: Record<string, number>): void;
  lastRun(): IndexingRun | undefined;
  /** Save HNSW graphs atomically (write, fsync, rename). Called periodically by writers. */
  checkpoint(): Promise<void>;

  // duplicates and tags (issue 13)
  /** Indexed images with their hashes, by id; paged by `afterId`. */
  imageSignatures(afterId: number, limit: number): ImageSignature[];
  /** Perceptual hashes of the given ids (those that have one). */
  perceptualHashes(ids: readonly number[]): Map<number, string>;
  /** Picture fingerprints of the given ids (those that have one). */
  fingerprints(ids: readonly number[]): Map<number, Uint8Array>;
  /** Ids (ascending) of indexed images lacking a perceptual hash or fingerprint. */
  imagesWithoutSignature(afterId: number, limit: number): number[];
  /** Stores hashes and fingerprints computed after the fact (`clipdex duplicates --backfill`). */
  writeImageSignatures(
    entries: readonly { readonly id: number; readonly phash: string; readonly fingerprint: Uint8Array }[],
  ): void;
  /** Settings the stored neighbour pairs were gathered with; undefined: none stored yet. */
  neighbourSettings(): NeighbourSettings | undefined;
  /**
   * Stores each image's close neighbours and marks its query done. With different `settings`
   * than stored, every pair and mark is dropped first (gathered again with the new ones).
   */
  storeNeighbours(
    settings: NeighbourSettings,
    entries: readonly { readonly id: number; readonly neighbours: readonly NeighbourPair[] }[],
  ): void;
  /** Every stored pair (either side may be deleted since: callers check). */
  forEachNeighbourPair(fn: (pair: NeighbourPair) => void): void;
  /** Ids (ascending) of images whose neighbour query ran. */
  neighboursDone(afterId: number, limit: number): number[];
  /** Ids (ascending) of indexed images with a vector whose neighbour query has not run. */
  unlinkedImages(afterId: number, limit: number): number[];
  /** The configured label set, or undefined when tagging is off. */
  tagLabelSet(): TagLabelSet | undefined;
  /**
   * Replaces the label set (dropped labels lose their tags) and its settings. An empty list
   * turns tagging off and removes every tag.
   */
  setTagLabels(labels: TagLabelSet['labels'], settings: TagSettings): void;
  /** Replaces the tags of each given item. */
  writeTags(entries: readonly { readonly itemId: number; readonly tags: readonly TagScore[] }[]): void;
  /** Stored tags of the given ids, most probable first; ids without tags are absent. */
  tagsFor(ids: readonly number[]): Map<number, TagScore[]>;
  /** Live image vectors by id, paged by `afterId` (for tagging a whole library). */
  imageVectors(afterId: number, limit: number): { id: number; vector: Float32Array }[];

  // search
  /** k-NN in one vector space; the image space holds photos and video shots (narrow with filter.kinds). */
  search(kind: ItemKind, query: Float32Array, options: VectorSearchOptions): VectorHit[];
  /** Exact cosine scores of the given ids against the query (for re-scoring and mixes). */
  score(query: Float32Array, ids: readonly number[]): VectorHit[];
  /**
   * Keyword leg of hybrid search: items of a kind whose name, folders, captions or photo metadata
   * contain any of the query's words, best BM25 first. Optional so small fakes need not implement it.
   */
  keywordSearch?(kind: ItemKind, query: string, options: KeywordSearchOptions): KeywordHit[];
  /** Which keyword fields (name, folders, captions, keywords, title, description, people, camera) matched. */
  keywordMatches?(query: string, ids: readonly number[]): Map<number, string[]>;
  /** keywordSearch on a worker thread with its own read-only connection; close it before the library. */
  openKeywordWorker?(): KeywordSearcher;
  /** Pick up vectors and deletions committed by another process since the last look. */
  refresh(): void;

  close(): Promise<void>;
}
