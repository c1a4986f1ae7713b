/**
 * `pullModel`: download one variant of a hub model package into the model cache.
 *
 * Pins the revision to a commit, lists the repo, picks the variant's files, downloads each into
 * a staging directory inside the cache (resumable: a rerun continues where the last one stopped),
 * verifies every file's size and checksum, writes `clipdex-pull.json`, and only then renames
 * the whole package into place, so a half-downloaded or corrupt package is never visible.
 */
import { mkdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError, fromFsError } from '../../errors.ts';
import { MANIFEST_FILE, type ModelCache, type PullManifest } from '../model-cache.ts';
import { downloadHubFile } from './file-download.ts';
import type { HubClient, HubFile } from './hub-client.ts';
import { acquireLock } from './staging-lock.ts';
import { selectVariantFiles, type HubLayout, type ModelVariant } from './variant-files.ts';

export type PullEvent =
  | {
      type: 'resolved';
      repo: string;
      commit: string;
      layout: HubLayout;
      files: readonly HubFile[];
      totalBytes: number;
    }
  | {
      type: 'progress';
      path: string;
      fileBytes: number;
      fileSize: number;
      receivedBytes: number;
      totalBytes: number;
    }
  | { type: 'file-done'; path: string }
  | { type: 'retry'; path: string; attempt: number; reason: string };

export interface PullOptions {
  readonly client: HubClient;
  readonly cache: ModelCache;
  readonly repo: string;
  readonly revision?: string;
  readonly variant?: ModelVariant;
  /** Download again even when the package is installed (replaces it atomically). */
  readonly force?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: ((event: PullEvent) => void) | undefined;
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

export interface PullResult {
  readonly dir: string;
  readonly manifest: PullManifest;
  /** True when nothing was downloaded because the package was already there. */
  readonly alreadyInstalled: boolean;
}

/** Hub paths become local paths: refuse anything that could escape the package directory. */
function safeLocalPath(root: string, filePath: string): string {
  const parts = filePath.split('/');
  if (
    filePath.startsWith('/') ||
    parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))
  ) {
    throw new EngineError('INVALID_INPUT', `refusing unsafe file path from the hub: "${filePath}"`);
  }
  return path.join(root, ...parts);
}

export async function pullModel(options: PullOptions): Promise<PullResult> {
  const { client, cache, repo, signal } = options;
  const revision = options.revision ?? 'main';
  const variant = options.variant ?? 'fp32';
  const installDir = cache.installDir(repo, variant);
  const existing = cache.findInstalled(repo, variant);
  const existingManifest = existing ? cache.readManifestSync(existing) : undefined;
  // Asking for another revision than the one installed means "update", not "already there".
  const sameRevision =
    existingManifest !== undefined &&
    (options.revision === undefined ||
      [existingManifest.revision, existingManifest.commit].includes(options.revision));
  if (existing && existingManifest && sameRevision && !options.force) {
    return { dir: existing, manifest: existingManifest, alreadyInstalled: true };
  }

  const commit = await client.commitOf(repo, revision, signal);
  const { layout, files } = selectVariantFiles(repo, await client.listFiles(repo, commit, signal), variant);
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  options.onEvent?.({ type: 'resolved', repo, commit, layout, files, totalBytes });

  const staging = cache.stagingDir(repo, variant);
  const pkgDir = path.join(staging, 'package');
  try {
    await mkdir(staging, { recursive: true });
  } catch (error) {
    throw fromFsError(error, `model cache ${cache.root}`);
  }
  await ensureFreeSpace(staging, totalBytes);
  const release = await acquireLock(path.join(staging, 'lock'), `${repo} (${variant})`);
  let installed = false;
  try {
    // Parts from another commit must not be mixed into this one.
    const statePath = path.join(staging, 'state.json');
    const previous = await readFile(statePath, 'utf8').then(
      (t) => (JSON.parse(t) as { commit?: string }).commit,
      () => undefined,
    );
    if (previous !== commit) await rm(pkgDir, { recursive: true, force: true });
    await writeFile(statePath, JSON.stringify({ repo, commit, variant }));

    const done = new Map<string, number>();
    const report = (file: HubFile, fileBytes: number): void => {
      done.set(file.path, fileBytes);
      const receivedBytes = [...done.values()].reduce((a, b) => a + b, 0);
      options.onEvent?.({
        type: 'progress',
        path: file.path,
        fileBytes,
        fileSize: file.size,
        receivedBytes,
        totalBytes,
      });
    };
    for (const file of files) {
      const target = safeLocalPath(pkgDir, file.path);
      await mkdir(path.dirname(target), { recursive: true });
      const verified = await readFile(`${target}.ok`, 'utf8').then(
        (t) => t === (file.sha256 ?? file.gitOid ?? String(file.size)),
        () => false,
      );
      if (!verified) {
        await downloadHubFile({
          client,
          repo,
          commit,
          file,
          signal,
          partPath: `${target}.part`,
          onBytes: (n) => report(file, n),
          onRetry: (attempt, reason) =>
            options.onEvent?.({ type: 'retry', path: file.path, attempt, reason }),
          ...(options.retries !== undefined ? { retries: options.retries } : {}),
          ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        });
        await rename(`${target}.part`, target);
        // A marker beside the file so a resumed pull skips files already verified.
        await writeFile(`${target}.ok`, file.sha256 ?? file.gitOid ?? String(file.size));
      }
      report(file, file.size);
      options.onEvent?.({ type: 'file-done', path: file.path });
    }
    for (const file of files) await rm(`${safeLocalPath(pkgDir, file.path)}.ok`, { force: true });

    const manifest: PullManifest = {
      format: 1,
      repo,
      revision,
      commit,
      variant,
      layout,
      endpoint: client.endpoint,
      pulledAt: new Date().toISOString(),
      files: files.map((f) => ({
        path: f.path,
        size: f.size,
        ...(f.sha256 ? { sha256: f.sha256 } : {}),
        ...(f.gitOid ? { gitOid: f.gitOid } : {}),
      })),
    };
    await writeFile(path.join(pkgDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await installAtomically(pkgDir, installDir, staging);
    installed = true;
    return { dir: installDir, manifest, alreadyInstalled: false };
  } catch (error) {
    throw error instanceof EngineError ? error : fromFsError(error, `pulling ${repo}`);
  } finally {
    await release();
    if (installed) await rm(staging, { recursive: true, force: true });
  }
}

/** Fail before downloading hundreds of MB into a disk that cannot hold them (resumed bytes aside). */
async function ensureFreeSpace(dir: string, bytes: number): Promise<void> {
  const fs = await statfs(dir).catch(() => undefined);
  if (!fs) return;
  const free = Number(fs.bavail) * Number(fs.bsize);
  if (free < bytes) {
    const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
    throw new EngineError(
      'IO_ERROR',
      `not enough disk space in ${dir}: the model needs ${mb(bytes)}, ${mb(free)} free`,
      { details: { bytes, free } },
    );
  }
}

/** rename(2) is atomic within one filesystem; an old package is moved aside first, then removed. */
async function installAtomically(pkgDir: string, installDir: string, staging: string): Promise<void> {
  await mkdir(path.dirname(installDir), { recursive: true });
  const old = `${staging}.old-${process.pid}`;
  let movedAside = false;
  try {
    await rename(installDir, old);
    movedAside = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(pkgDir, installDir);
  if (movedAside) await rm(old, { recursive: true, force: true });
}
