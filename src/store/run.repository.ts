/** Indexing runs: when each started and ended, how, and its counters. */
import { EngineError } from '../errors.ts';
import type { IndexingRun } from './library.types.ts';
import type { Db, Statement } from './database.ts';

interface RunRow {
  id: number;
  started_at: number;
  finished_at: number | null;
  state: IndexingRun['state'];
  stats: string;
}

function rowToRun(row: RunRow): IndexingRun {
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    state: row.state,
    stats: JSON.parse(row.stats) as Record<string, number>,
  };
}

const STATES: readonly IndexingRun['state'][] = ['running', 'finished', 'interrupted', 'failed'];

export class RunRepository {
  private readonly insert: Statement<[number], RunRow>;
  private readonly finish: Statement<{ id: number; state: string; stats: string; now: number }>;
  private readonly last: Statement<[], RunRow>;
  private readonly orphaned: Statement<[number]>;

  constructor(db: Db) {
    this.insert = db.prepare("INSERT INTO runs (started_at, state) VALUES (?, 'running') RETURNING *");
    this.finish = db.prepare(
      'UPDATE runs SET state = @state, stats = @stats, finished_at = @now WHERE id = @id',
    );
    this.last = db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT 1');
    this.orphaned = db.prepare(
      "UPDATE runs SET state = 'interrupted', finished_at = ? WHERE state = 'running'",
    );
  }

  start(now: number): IndexingRun {
    const row = this.insert.get(now);
    if (!row) throw new EngineError('INTERNAL', 'could not record an indexing run');
    return rowToRun(row);
  }

  finishRun(id: number, state: IndexingRun['state'], stats: Record<string, number>, now: number): void {
    if (!STATES.includes(state) || state === 'running') {
      throw new EngineError('INVALID_INPUT', `a run cannot finish as '${state}'`);
    }
    const result = this.finish.run({ id, state, stats: JSON.stringify(stats), now });
    if (result.changes === 0) throw new EngineError('NOT_FOUND', `no indexing run ${id}`);
  }

  lastRun(): IndexingRun | undefined {
    const row = this.last.get();
    return row ? rowToRun(row) : undefined;
  }

  /** Runs left 'running' by a writer that died; only the lock holder may call this. */
  markOrphansInterrupted(now: number): void {
    this.orphaned.run(now);
  }
}
