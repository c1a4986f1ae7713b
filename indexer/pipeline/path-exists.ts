import { lstat } from 'node:fs/promises';

/** Whether anything (file, dir, even a dangling symlink) is at `path`; lstat so links aren't followed. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
