/** Reads a model package directory into the path → bytes map the test hub serves as a repo. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export async function repoFromDir(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, full).split(path.sep).join('/'), await readFile(full));
  }
  return files;
}
