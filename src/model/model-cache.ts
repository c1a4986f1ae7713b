/**
 * The local model cache: one directory per pulled (repo, variant), each a complete model
 * package plus `clipdex-pull.json` recording where it came from and what its files hash to.
 *
 *   <root>/<owner>--<name>--<variant>/…           installed packages (only ever renamed into place)
 *   <root>/.staging/<owner>--<name>--<variant>/   downloads in progress, kept for resume
 *
 * Flat names, so a package directory's basename says which model it is (loaders and
 * fingerprints use it as the model's display name).
 *
 * A package directory exists only once every file has verified, so anything found here is whole.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import type { HubLayout, ModelVariant } from './hub/variant-files.ts';
import { VARIANTS } from './hub/variant-files.ts';

export const MANIFEST_FILE = 'clipdex-pull.json';

export interface PulledFile {
  readonly path: string;
  readonly size: number;
  readonly sha256?: string;
  readonly gitOid?: string;
}

export interface PullManifest {
  readonly format: 1;
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly variant: ModelVariant;
  readonly layout: HubLayout;
  readonly endpoint: string;
  readonly pulledAt: string;
  readonly files: readonly PulledFile[];
}

export interface InstalledModel {
  readonly dir: string;
  readonly manifest: PullManifest;
  readonly bytes: number;
}

/**
 * Where the CLI keeps models: `$CLIPDEX_CACHE/models`, else `$XDG_CACHE_HOME/clipdex/models`,
 * else `<home>/.cache/clipdex/models`. Takes the environment as an argument; src/ never reads it.
 */
export function defaultModelCacheDir(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string {
  if (env.CLIPDEX_CACHE) return path.resolve(env.CLIPDEX_CACHE, 'models');
  if (env.XDG_CACHE_HOME) return path.resolve(env.XDG_CACHE_HOME, 'clipdex', 'models');
  return path.join(home, '.cache', 'clipdex', 'models');
}

function repoKey(repo: string): string {
  return repo.replace('/', '--');
}

export class ModelCache {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  installDir(repo: string, variant: ModelVariant): string {
    return path.join(this.root, `${repoKey(repo)}--${variant}`);
  }

  stagingDir(repo: string, variant: ModelVariant): string {
    return path.join(this.root, '.staging', `${repoKey(repo)}--${variant}`);
  }

  /** The installed package for `repo`: the given variant, or the first of fp32, fp16, quantized. */
  findInstalled(repo: string, variant?: ModelVariant): string | undefined {
    for (const v of variant ? [variant] : VARIANTS) {
      const dir = this.installDir(repo, v);
      if (existsSync(path.join(dir, MANIFEST_FILE))) return dir;
    }
    return undefined;
  }

  readManifestSync(dir: string): PullManifest | undefined {
    try {
      return parseManifest(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Every installed package, sorted by repo then variant. Half-written or foreign dirs are skipped. */
  async list(): Promise<InstalledModel[]> {
    const found: InstalledModel[] = [];
    for (const entry of await readdirOrEmpty(this.root)) {
      if (entry.startsWith('.')) continue;
      const dir = path.join(this.root, entry);
      let manifest: PullManifest;
      try {
        manifest = parseManifest(await readFile(path.join(dir, MANIFEST_FILE), 'utf8'));
      } catch {
        continue;
      }
      const bytes = manifest.files.reduce((sum, f) => sum + f.size, 0);
      found.push({ dir, manifest, bytes });
    }
    return found.sort(
      (a, b) =>
        a.manifest.repo.localeCompare(b.manifest.repo) ||
        a.manifest.variant.localeCompare(b.manifest.variant),
    );
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

function parseManifest(text: string): PullManifest {
  const value = JSON.parse(text) as Partial<PullManifest>;
  if (value.format !== 1 || typeof value.repo !== 'string' || !Array.isArray(value.files)) {
    throw new EngineError('INVALID_INPUT', `not a clipdex pull manifest`);
  }
  return value as PullManifest;
}
