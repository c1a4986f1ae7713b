/** Temp copies of format fixtures that tests can break or modify; removed by the caller. */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

export async function tempCopy(fixture: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'clipdex-'));
  const dir = path.join(root, path.basename(fixture));
  await cp(path.join(FIXTURES, fixture), dir, { recursive: true });
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}
