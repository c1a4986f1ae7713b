/**
 * The only importer of better-sqlite3. Opens the library database with the pragmas the store
 * relies on, opens the write-lock database, and turns SqliteError codes into EngineErrors.
 */
import Database from 'better-sqlite3';
import { EngineError, fromFsError } from '../errors.ts';

/** The library's database, inside the library directory. */
export const DATABASE_FILE = 'clipdex.db';

export type Db = Database.Database;
export type Statement<P extends unknown[] | object = unknown[], R = unknown> = Database.Statement<P, R>;

export interface OpenDatabaseOptions {
  readonly readOnly: boolean;
  /** Create the file when missing (writers only). */
  readonly create: boolean;
}

/**
 * WAL lets readers (the server) run beside the one writer. synchronous=FULL fsyncs the WAL at
 * every commit: a batch costs seconds of encoding, so one fsync per batch is free, and it means
 * a committed batch survives power loss too — the HNSW checkpoint may record a sequence number
 * only if the rows up to it can never roll back.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readOnly, fileMustExist: !options.create });
  } catch (error) {
    throw translateSqliteError(error, `cannot open database ${file}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readOnly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.function('geo_km', { deterministic: true }, greatCircleKm);
    if (options.readOnly) db.pragma('query_only = ON');
    return db;
  } catch (error) {
    db.close();
    throw translateSqliteError(error, `cannot open database ${file}`);
  }
}

/**
 * A private in-memory database: scratch work that must never touch the library file, and that a
 * read-only connection (query_only) could not do.
 */
export function openMemoryDatabase(): Db {
  return new Database(':memory:');
}

/**
 * Takes an OS-level exclusive lock on `file` by holding an open `BEGIN EXCLUSIVE` transaction
 * on it (SQLite uses fcntl/LockFileEx). The kernel drops it when the process dies, even by
 * kill -9, so a crashed writer never blocks the next one, and no pid can be mistaken for a
 * live holder. Returns undefined when another connection holds it.
 */
export function tryLockFile(file: string): { release(): void } | undefined {
  let db: Db;
  try {
    db = new Database(file, { timeout: 0 });
  } catch (error) {
    throw translateSqliteError(error, `cannot create lock file ${file}`);
  }
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (sqliteCode(error).startsWith('SQLITE_BUSY') || sqliteCode(error).startsWith('SQLITE_LOCKED')) {
      return undefined;
    }
    throw translateSqliteError(error, `cannot lock ${file}`);
  }
  return {
    release(): void {
      if (!db.open) return;
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}

function sqliteCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** Maps SQLite's result codes to EngineError codes with a message a person can act on. */
export function translateSqliteError(error: unknown, what: string): EngineError {
  if (error instanceof EngineError) return error;
  const code = sqliteCode(error);
  if (code !== '' && !code.startsWith('SQLITE_')) return fromFsError(error, what);
  const reason = error instanceof Error ? error.message : String(error);
  const options = { cause: error, details: { sqliteCode: code } };
  if (code === 'SQLITE_FULL') {
    return new EngineError('IO_ERROR', `${what}: no space left on device (${reason})`, options);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new EngineError(
      'IO_ERROR',
      `${what}: the library is on a read-only or write-protected location (${reason})`,
      options,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new EngineError('IO_ERROR', `${what}: cannot open the file (${reason})`, options);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new EngineError('IO_ERROR', `${what}: disk I/O error (${reason})`, options);
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new EngineError(
      'INDEX_CORRUPT',
      `${what}: the database file is damaged or not a clipdex library (${reason})`,
      options,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new EngineError(
      'LIBRARY_BUSY',
      `${what}: the database is locked by another process (${reason})`,
      options,
    );
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) return new EngineError('CONFLICT', `${what}: ${reason}`, options);
  return new EngineError('INTERNAL', `${what}: ${reason}`, options);
}

/** Haversine distance in km for SQL (`geo_km(lat1, lon1, lat2, lon2)`); NULL when a point is missing. */
function greatCircleKm(lat1: unknown, lon1: unknown, lat2: unknown, lon2: unknown): number | null {
  if (
    typeof lat1 !== 'number' ||
    typeof lon1 !== 'number' ||
    typeof lat2 !== 'number' ||
    typeof lon2 !== 'number'
  ) {
    return null;
  }
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}
