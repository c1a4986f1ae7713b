/** Shared by the indexer's end-to-end tests: run the real `clipdex` CLI and read its JSON. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { withTextChunk } from '../helpers/png-bytes.ts';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const BIN = path.join(REPO, 'bin', 'clipdex.js');
export const FIXTURES = path.join(REPO, 'fixtures', 'indexer');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `clipdex …` to completion (never throws on a non-zero exit). One ONNX thread: the CI box has one core. */
export function clipdex(args: readonly string[], cwd = REPO): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: cliEnv(), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function spawnClipdex(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CLIPDEX_CACHE: path.join(os.tmpdir(), 'clipdex-e2e-cache') };
}

/** Runs a command that must succeed and prints JSON; returns the parsed document. */
export async function clipdexJson<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  const r = await clipdex([...args, '--json']);
  if (r.code !== 0) throw new Error(`clipdex ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'clipdex-'));
}

/** A copy of a fixture folder the test may change. */
export async function copyFixture(name: string, into: string): Promise<string> {
  const dest = path.join(into, name);
  await cp(path.join(FIXTURES, name), dest, { recursive: true });
  return dest;
}

export const cleanup = (dir: string | undefined): Promise<void> =>
  dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();

/**
 * Fills `dest` with `copies` distinct variants of every demo image: the same pixels, but a
 * PNG tEXt chunk makes each file's bytes (and so its content hash) unique, so every file must
 * really be decoded and encoded. `limit` caps how many demo images are used.
 */
export async function makeDistinctPngs(dest: string, copies: number, limit = Infinity): Promise<number> {
  const src = path.join(REPO, 'fixtures', 'demo', 'images');
  const names = (await readdir(src)).filter((n) => n.endsWith('.png')).slice(0, limit);
  for (const name of names) {
    const png = await readFile(path.join(src, name));
    for (let c = 0; c < copies; c += 1) {
      await writeFile(path.join(dest, `${c}-${name}`), withTextChunk(png, `clipdex-copy-${c}`));
    }
  }
  return names.length * copies;
}
