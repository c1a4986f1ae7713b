/**
 * What `--model <x>` means everywhere: nothing → the bundled model; an existing directory →
 * that package; a catalog name or hub repo id (optionally `@fp16` / `@quantized`) that has been
 * pulled → its directory in the model cache. Anything else is NOT_FOUND with the command that
 * fixes it. Synchronous and local: it never touches the network.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import { bundledModelDir } from './bundled-model.ts';
import { findCatalogEntry } from './catalog.ts';
import { isRepoId } from './hub/hub-url.ts';
import { isVariant, type ModelVariant } from './hub/variant-files.ts';
import { ModelCache } from './model-cache.ts';

function isDirectory(candidate: string): boolean {
  try {
    return statSync(candidate).isDirectory();
  } catch {
    return false;
  }
}

/** `name@variant` → its parts; a bare name has no variant. */
export function parseModelRef(ref: string): { name: string; variant: ModelVariant | undefined } {
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const variant = ref.slice(at + 1);
    if (!isVariant(variant)) {
      throw new EngineError(
        'INVALID_INPUT',
        `unknown model variant "${variant}" in "${ref}"; use fp32, fp16 or quantized`,
      );
    }
    return { name: ref.slice(0, at), variant };
  }
  return { name: ref, variant: undefined };
}

/** The hub repo a catalog name or repo id stands for, or undefined for anything else. */
export function repoForName(name: string): string | undefined {
  return findCatalogEntry(name)?.repo ?? (isRepoId(name) ? name : undefined);
}

export function resolveModel(nameOrPath: string | undefined, cacheDir: string): string {
  if (nameOrPath === undefined || nameOrPath === '') return bundledModelDir();
  if (isDirectory(nameOrPath)) return path.resolve(nameOrPath);
  const { name, variant } = parseModelRef(nameOrPath);
  const repo = repoForName(name);
  if (repo) {
    const installed = new ModelCache(cacheDir).findInstalled(repo, variant);
    if (installed) return installed;
    const pull = `clipdex model pull ${name}${variant ? ` --variant ${variant}` : ''}`;
    throw new EngineError(
      'NOT_FOUND',
      `model "${nameOrPath}" (${repo}) is not downloaded yet; run \`${pull}\``,
      {
        details: { repo, cacheDir },
      },
    );
  }
  throw new EngineError(
    'NOT_FOUND',
    `no model directory or known model named "${nameOrPath}"; pass a model directory, a hub repo id (owner/name), ` +
      'or a name from `clipdex model list`, then `clipdex model pull <name>`',
  );
}
