/**
 * Applies the numbered, forward-only SQL files in migrations/ to a library database, each in
 * its own transaction, and records them in `schema_migrations`. Strict, like Kysely's migrator:
 * it refuses gaps, duplicate numbers, files applied out of order, and applied files that
 * vanished or changed, because any of those means the schema is not what the code expects.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../errors.ts';
import { translateSqliteError, type Db } from './database.ts';

/** migrations/ at the repository root, found from this module so cwd does not matter. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationResult {
  readonly name: string;
  readonly status: 'applied' | 'already-applied';
}

const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** Reads and validates the migration files: contiguous numbers from 1, no duplicates. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const match = FILE_PATTERN.exec(name);
    if (!match) throw new EngineError('INTERNAL', `migration file ${name} is not named NNNN_snake_case.sql`);
    const version = Number(match[1]);
    const expected = migrations.length + 1;
    if (version === expected - 1) {
      throw new EngineError('INTERNAL', `duplicate migration number ${match[1]} (${name})`);
    }
    if (version !== expected) {
      throw new EngineError(
        'INTERNAL',
        `migration gap: expected ${String(expected).padStart(4, '0')}_…, found ${name}`,
      );
    }
    const sql = readFileSync(`${dir}/${name}`, 'utf8');
    migrations.push({ version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/** Names of migrations not yet applied; throws when history and files disagree. */
export function pendingMigrations(db: Db, migrations: readonly Migration[]): Migration[] {
  const applied = readApplied(db);
  for (const row of applied) {
    const file = migrations[row.version - 1];
    if (!file || file.name !== row.name) {
      throw new EngineError(
        'INDEX_CORRUPT',
        `migration ${row.name} was applied to this library but its file is missing; this library needs a newer clipdex`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new EngineError(
        'INDEX_CORRUPT',
        `migration ${row.name} changed after it was applied; migrations are immutable — add a new file instead`,
      );
    }
  }
  return migrations.slice(applied.length);
}

/** Applies pending migrations in order, each in one transaction; returns one result per file. */
export function migrate(db: Db, migrations: readonly Migration[] = loadMigrations()): MigrationResult[] {
  ensureTable(db);
  const pending = pendingMigrations(db, migrations);
  const results: MigrationResult[] = migrations
    .slice(0, migrations.length - pending.length)
    .map((m) => ({ name: m.name, status: 'already-applied' as const }));
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)',
  );
  // Foreign keys off while migrating (SQLite's procedure for rebuilding a table: with them on,
  // dropping the old table would cascade-delete every referencing row), checked before each
  // commit instead. The pragma cannot change inside a transaction, so it wraps the loop.
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1;
  if (pending.length > 0 && foreignKeys) db.pragma('foreign_keys = OFF');
  try {
    for (const migration of pending) {
      try {
        db.transaction(() => {
          db.exec(migration.sql);
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) {
            throw new EngineError(
              'INDEX_CORRUPT',
              `migration ${migration.name} left ${broken.length} broken foreign key references`,
            );
          }
          record.run(migration.version, migration.name, migration.checksum, Date.now());
        })();
      } catch (error) {
        throw translateSqliteError(error, `migration ${migration.name} failed`);
      }
      results.push({ name: migration.name, status: 'applied' });
    }
  } finally {
    if (pending.length > 0 && foreignKeys) db.pragma('foreign_keys = ON');
  }
  return results;
}

function ensureTable(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
}

function readApplied(db: Db): AppliedRow[] {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!exists) return [];
  const rows = db
    .prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
    .all() as AppliedRow[];
  rows.forEach((row, i) => {
    if (row.version !== i + 1) {
      throw new EngineError('INDEX_CORRUPT', `schema_migrations has a gap before ${row.name}`);
    }
  });
  return rows;
}
