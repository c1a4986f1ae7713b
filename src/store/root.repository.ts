/**
 * Registered roots. A root inside the library directory is stored relative to it, so moving
 * or copying the whole directory keeps working; a root elsewhere is stored absolute and can be
 * re-pointed with relocate() when the photos move.
 */
import path from 'node:path';
import { EngineError } from '../errors.ts';
import type { Root } from './library.types.ts';
import type { Db, Statement } from './database.ts';

interface RootRow {
  id: number;
  path: string;
}

export class RootRepository {
  private readonly byId: Statement<[number], RootRow>;
  private readonly byPath: Statement<[string], RootRow>;
  private readonly all: Statement<[], RootRow>;
  private readonly insert: Statement<[string], RootRow>;
  private readonly update: Statement<[string, number]>;

  constructor(
    db: Db,
    private readonly libraryDir: string,
  ) {
    this.byId = db.prepare('SELECT id, path FROM roots WHERE id = ?');
    this.byPath = db.prepare('SELECT id, path FROM roots WHERE path = ?');
    this.all = db.prepare('SELECT id, path FROM roots ORDER BY id');
    this.insert = db.prepare('INSERT INTO roots (path) VALUES (?) RETURNING id, path');
    this.update = db.prepare('UPDATE roots SET path = ? WHERE id = ?');
  }

  ensure(absolutePath: string): Root {
    const stored = this.toStored(absolutePath);
    const row = this.byPath.get(stored) ?? this.insert.get(stored);
    if (!row) throw new EngineError('INTERNAL', `could not register root ${absolutePath}`);
    return this.toRoot(row);
  }

  get(id: number): Root | undefined {
    const row = this.byId.get(id);
    return row ? this.toRoot(row) : undefined;
  }

  list(): Root[] {
    return this.all.all().map((row) => this.toRoot(row));
  }

  relocate(id: number, absolutePath: string): Root {
    if (!this.byId.get(id)) throw new EngineError('NOT_FOUND', `no root with id ${id}`);
    const stored = this.toStored(absolutePath);
    const clash = this.byPath.get(stored);
    if (clash && clash.id !== id) {
      throw new EngineError('CONFLICT', `${absolutePath} is already root ${clash.id}`);
    }
    this.update.run(stored, id);
    return { id, path: this.toAbsolute(stored) };
  }

  private toStored(absolutePath: string): string {
    if (!path.isAbsolute(absolutePath)) {
      throw new EngineError('INVALID_INPUT', `root path must be absolute: ${absolutePath}`);
    }
    const resolved = path.resolve(absolutePath);
    const relative = path.relative(this.libraryDir, resolved);
    const inside = relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    // Relative roots are stored '/'-separated with a './' marker so they never look absolute.
    return inside ? `./${relative.split(path.sep).join('/')}` : resolved;
  }

  private toAbsolute(stored: string): string {
    return stored.startsWith('./') ? path.resolve(this.libraryDir, stored) : stored;
  }

  private toRoot(row: RootRow): Root {
    return { id: row.id, path: this.toAbsolute(row.path) };
  }
}
