/**
 * The `meta` table: facts fixed when the library is created (model fingerprint, dimension,
 * metric, HNSW parameters, a random library id) and the vector sequence counter.
 */
import { randomUUID } from 'node:crypto';
import type { ModelFingerprint } from '../common/model-fingerprint.ts';
import { DEFAULT_EF_SEARCH } from '../defaults.ts';
import { EngineError } from '../errors.ts';
import type { Db, Statement } from './database.ts';

export interface HnswParams {
  readonly m: number;
  readonly efConstruction: number;
  readonly efSearch: number;
}

export interface LibraryMeta {
  readonly libraryId: string;
  readonly fingerprint: ModelFingerprint;
  readonly dim: number;
  readonly metric: 'cosine';
  readonly createdAt: number;
  readonly hnsw: HnswParams;
}

/**
 * efConstruction 100 (the Qdrant default; Weaviate uses 128): on clustered 512-d data it
 * builds twice as fast as 200 with the same recall@10 at ef 64 (bench/vectors.ts), and a
 * single-threaded rebuild of a large library is where build speed hurts.
 */
export const DEFAULT_HNSW: HnswParams = { m: 16, efConstruction: 100, efSearch: DEFAULT_EF_SEARCH };

/**
 * Search breadths that were once the default (why today's is what it is: DEFAULT_EF_SEARCH in
 * src/defaults.ts). 64 until efSearch 96: on bench/store-scale's clustered 512-d vectors at 200k
 * (+10k), recall@10 was 0.971 at ef 64 and 0.999 at ef 96 (two segments; p50 1.29 vs 1.74 ms on a
 * loaded 2-vCPU box). Libraries store the default they were created with, and no command lets a
 * user choose another: a stored former default is read as today's.
 */
const FORMER_DEFAULT_EF_SEARCH: ReadonlySet<number> = new Set([64, 96]);

export class MetaRepository {
  private readonly getStmt: Statement<[string], { value: string }>;
  private readonly setStmt: Statement<[string, string]>;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.setStmt = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  isInitialised(): boolean {
    return this.getStmt.get('library_id') !== undefined;
  }

  initialise(fingerprint: ModelFingerprint, hnsw: HnswParams): void {
    this.db.transaction(() => {
      this.setStmt.run('library_id', randomUUID());
      this.setStmt.run('fingerprint', JSON.stringify(fingerprint));
      this.setStmt.run('dim', String(fingerprint.dim));
      this.setStmt.run('metric', 'cosine');
      this.setStmt.run('created_at', String(Date.now()));
      this.setStmt.run('hnsw', JSON.stringify(hnsw));
      this.setStmt.run('vector_seq', '0');
    })();
  }

  read(): LibraryMeta {
    const fingerprint = JSON.parse(this.require('fingerprint')) as ModelFingerprint;
    const metric = this.require('metric');
    if (metric !== 'cosine') throw new EngineError('INDEX_CORRUPT', `library uses unknown metric ${metric}`);
    return {
      libraryId: this.require('library_id'),
      fingerprint,
      dim: Number(this.require('dim')),
      metric,
      createdAt: Number(this.require('created_at')),
      hnsw: readHnsw(JSON.parse(this.require('hnsw')) as Partial<HnswParams>),
    };
  }

  /** Directory the library's model was last loaded from (a hint: the fingerprint decides). */
  modelDir(): string | undefined {
    return this.getStmt.get('model_dir')?.value;
  }

  setModelDir(dir: string): void {
    this.setStmt.run('model_dir', dir);
  }

  /** Highest sequence number handed out; rows up to it are committed. */
  lastSeq(): number {
    return Number(this.require('vector_seq'));
  }

  /** Call inside the write transaction that uses the numbers. */
  setLastSeq(seq: number): void {
    this.setStmt.run('vector_seq', String(seq));
  }

  private require(key: string): string {
    const row = this.getStmt.get(key);
    if (!row) throw new EngineError('INDEX_CORRUPT', `library database lacks meta.${key}`);
    return row.value;
  }
}

function readHnsw(stored: Partial<HnswParams>): HnswParams {
  const hnsw = { ...DEFAULT_HNSW, ...stored };
  return FORMER_DEFAULT_EF_SEARCH.has(hnsw.efSearch) ? { ...hnsw, efSearch: DEFAULT_HNSW.efSearch } : hnsw;
}
