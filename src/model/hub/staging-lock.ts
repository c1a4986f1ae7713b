/**
 * One pull per package at a time: a lock file holding the owner's pid inside the staging dir.
 * A lock left by a process that no longer exists (kill -9, power loss) is taken over.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { EngineError } from '../../errors.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireLock(lockPath: string, what: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: 'wx' });
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new EngineError(
          'CONFLICT',
          `${what} is already being pulled by process ${owner}; wait for it or stop it`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new EngineError('CONFLICT', `${what}: could not take the download lock ${lockPath}`);
}
