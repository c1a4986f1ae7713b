/**
 * One writer per library, across processes. The lock itself is an OS file lock on
 * `writer.lock` (see tryLockFile), which the kernel releases when the holder dies, even by
 * kill -9 — no stale-lock heuristics, no pid-reuse mistakes. `writer.json` beside it only
 * tells a refused writer who holds the lock; it is advisory and may be stale.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError, fromFsError } from '../errors.ts';
import { tryLockFile } from './database.ts';

export interface WriteLock {
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

export function acquireWriteLock(dir: string): WriteLock {
  const lock = tryLockFile(path.join(dir, 'writer.lock'));
  const infoFile = path.join(dir, 'writer.json');
  if (!lock) {
    const holder = readHolder(infoFile);
    const who = holder
      ? `being written by pid ${holder.pid} on ${holder.host} since ${holder.since}`
      : 'being written by another process';
    throw new EngineError(
      'LIBRARY_BUSY',
      `library ${dir} is busy: ${who}; open it read-only or wait for that process to finish`,
      {
        details: { ...holder },
      },
    );
  }
  const holder: Holder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  try {
    fs.writeFileSync(infoFile, JSON.stringify(holder));
  } catch (error) {
    lock.release();
    throw fromFsError(error, `cannot write ${infoFile}`);
  }
  return {
    release(): void {
      lock.release();
    },
  };
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}
