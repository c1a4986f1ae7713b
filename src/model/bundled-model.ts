/** Where the model shipped with clipdex lives: <repo>/fixtures/models/clipdex-mini. */
import { fileURLToPath } from 'node:url';

export function bundledModelDir(): string {
  return fileURLToPath(new URL('../../fixtures/models/clipdex-mini', import.meta.url));
}
