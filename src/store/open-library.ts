/**
 * Opens (or creates) a library directory: takes the write lock unless read-only, opens and
 * migrates the database, checks the model fingerprint, loads the sealed HNSW segments (rebuilding
 * any that fail their check) and replays what they miss. Everything opened so far is closed again
 * if a later step fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EngineError, fromFsError } from '../errors.ts';
import { DATABASE_FILE, openDatabase, translateSqliteError, type Db } from './database.ts';
import { ItemRepository } from './item.repository.ts';
import { ItmFeatureRepository } from './itm-feature.repository.ts';
import { KeywordRepository } from './keyword.repository.ts';
import { describe, LibraryStore } from './library-store.ts';
import type { OpenLibraryOptions } from './library.types.ts';
import type { ModelFingerprint } from '../common/model-fingerprint.ts';
import { DEFAULT_HNSW, MetaRepository, type LibraryMeta } from './meta.repository.ts';
import { loadMigrations, migrate, pendingMigrations } from './migrator.ts';
import { PhashRepository } from './phash.repository.ts';
import { NeighbourRepository } from './neighbour.repository.ts';
import { RootRepository } from './root.repository.ts';
import { RunRepository } from './run.repository.ts';
import { ShotRepository } from './shot.repository.ts';
import { TagRepository } from './tag.repository.ts';
import { DEFAULT_SEGMENT_OPTIONS, VectorSegments } from './vector-segments.ts';
import { VectorRepository } from './vector.repository.ts';
import { acquireWriteLock, type WriteLock } from './write-lock.ts';

export { DATABASE_FILE };

/**
 * @example
 * const library = await openLibrary('/data/photos.clipdex', { fingerprint: model.fingerprint });
 * try { library.write({ items }); await library.checkpoint(); } finally { await library.close(); }
 */
export async function openLibrary(dir: string, options: OpenLibraryOptions = {}): Promise<LibraryStore> {
  const started = performance.now();
  const readOnly = options.readOnly ?? false;
  const create = options.create ?? !readOnly;
  const root = path.resolve(dir);
  const dbFile = path.join(root, DATABASE_FILE);
  prepareDirectory(root, dbFile, readOnly, create);

  let lock: WriteLock | undefined;
  let db: Db | undefined;
  try {
    if (!readOnly) lock = acquireWriteLock(root);
    db = openDatabase(dbFile, { readOnly, create: !readOnly });
    const meta = readOrCreateMeta(db, root, readOnly, options);
    const vectors = new VectorRepository(db);
    const metaRepo = new MetaRepository(db);
    const runs = new RunRepository(db);
    if (!readOnly) runs.markOrphansInterrupted(Date.now());
    if (!readOnly && options.modelDir !== undefined && metaRepo.modelDir() !== options.modelDir) {
      metaRepo.setModelDir(options.modelDir);
    }
    const keywords = new KeywordRepository(db);
    if (!readOnly) keywords.ensureBuilt();
    const identity = { libraryId: meta.libraryId, modelId: meta.fingerprint.id, dim: meta.dim };
    const database = performance.now() - started;
    const { segments, recovery, warnings } = await VectorSegments.open({
      dir: root,
      dbFile,
      identity,
      params: meta.hnsw,
      vectors,
      meta: metaRepo,
      readOnly,
      options: { ...DEFAULT_SEGMENT_OPTIONS, ...definedOnly(options.segments) },
    });
    segments.openTimings.database = database;
    const schemaVersion =
      (db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
    const library = new LibraryStore({
      dir: root,
      db,
      meta,
      schemaVersion,
      repos: {
        items: new ItemRepository(db),
        vectors,
        roots: new RootRepository(db, root),
        runs,
        meta: metaRepo,
        phash: new PhashRepository(db),
        neighbours: new NeighbourRepository(db),
        tags: new TagRepository(db),
        itm: new ItmFeatureRepository(db),
        keywords,
        shots: new ShotRepository(db),
      },
      segments,
      recovery,
      warnings,
      lock,
      efSearch: options.hnsw?.efSearch ?? meta.hnsw.efSearch,
    });
    // Seal what was replayed or recovered now so the next open is fast; a full disk must not stop the open.
    if (!readOnly && segments.isDirty) await library.checkpoint().catch(() => undefined);
    return library;
  } catch (error) {
    db?.close();
    lock?.release();
    throw translateSqliteError(error, `cannot open library ${root}`);
  }
}

function prepareDirectory(root: string, dbFile: string, readOnly: boolean, create: boolean): void {
  const exists = fs.existsSync(dbFile);
  if (!exists && (readOnly || !create)) {
    throw new EngineError('NOT_FOUND', `no clipdex library at ${root} (missing ${DATABASE_FILE})`);
  }
  try {
    if (!exists) fs.mkdirSync(root, { recursive: true });
    if (!readOnly) fs.accessSync(root, fs.constants.W_OK);
  } catch (error) {
    const failure = fromFsError(error, `cannot open library ${root} for writing`);
    if (failure.code !== 'IO_ERROR') throw failure;
    throw new EngineError(
      'IO_ERROR',
      `${failure.message}; a library on a read-only location can still be opened read-only`,
      { cause: error },
    );
  }
}

function readOrCreateMeta(db: Db, root: string, readOnly: boolean, options: OpenLibraryOptions): LibraryMeta {
  const migrations = loadMigrations();
  if (readOnly) {
    if (pendingMigrations(db, migrations).length > 0) {
      throw new EngineError(
        'INDEX_CORRUPT',
        `library ${root} has an older schema; open it once for writing to migrate it`,
      );
    }
  } else {
    migrate(db, migrations);
  }
  const meta = new MetaRepository(db);
  if (!meta.isInitialised()) {
    if (readOnly) throw new EngineError('NOT_FOUND', `library ${root} was never initialised`);
    if (!options.fingerprint) {
      throw new EngineError('INVALID_INPUT', `creating library ${root} needs the model fingerprint`);
    }
    meta.initialise(options.fingerprint, { ...DEFAULT_HNSW, ...definedOnly(options.hnsw) });
  }
  const stored = meta.read();
  const wanted = options.fingerprint;
  if (wanted && (wanted.id !== stored.fingerprint.id || wanted.dim !== stored.dim)) {
    throw new EngineError(
      'MODEL_MISMATCH',
      `library ${root} holds vectors of ${describe(stored.fingerprint)} but the model in use is ${describe(wanted)}; ` +
        `vectors of different models cannot be mixed — re-embed into a new library with this model (clipdex index --library <new dir>)`,
      {
        details: {
          library: { name: stored.fingerprint.name, id: stored.fingerprint.id, dim: stored.dim },
          requested: { name: wanted.name, id: wanted.id, dim: wanted.dim },
        },
      },
    );
  }
  return stored;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The model a library was built with and where it was last loaded from, without opening it. */
export interface LibraryModelRecord {
  readonly fingerprint: ModelFingerprint;
  /** Absent for libraries indexed before the directory was recorded. */
  readonly dir: string | undefined;
}

/**
 * Reads the library's model record (read-only, no lock, no segments), or undefined when there
 * is no initialised library at `dir`. Commands without --model use it to pick their model.
 */
export function readLibraryModel(dir: string): LibraryModelRecord | undefined {
  const dbFile = path.join(path.resolve(dir), DATABASE_FILE);
  if (!fs.existsSync(dbFile)) return undefined;
  let db: Db | undefined;
  try {
    db = openDatabase(dbFile, { readOnly: true, create: false });
    const meta = new MetaRepository(db);
    if (!meta.isInitialised()) return undefined;
    return { fingerprint: meta.read().fingerprint, dir: meta.modelDir() };
  } catch (error) {
    throw translateSqliteError(error, `cannot read library ${dir}`);
  } finally {
    db?.close();
  }
}
