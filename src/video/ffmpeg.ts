/**
 * The only module that spawns ffmpeg and ffprobe (as onnx-session.ts is the only importer of
 * onnxruntime-node). It finds the binaries — the system's on PATH first, otherwise the ones
 * shipped inside the @ffmpeg-installer / @ffprobe-installer npm packages — and runs them so that
 * they never outlive us:
 *  - each child gets its own process group, so a terminal's Ctrl-C reaches only clipdex, which
 *    then stops its children itself (an interrupted run must not record a video as failed);
 *  - every live child is killed (its whole group) on abort, on timeout and when this process
 *    exits normally or by an uncaught error;
 *  - after a `kill -9` of clipdex nothing can run here, so the children are fed through pipes
 *    that ffmpeg writes to every few frames: their next write fails with EPIPE and they exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors.ts';

export interface FfmpegTools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** Where they came from: 'system' (PATH) or the npm package name. */
  readonly source: string;
  /** `ffmpeg -version`'s first line, filled in by describeFfmpeg. */
  readonly version?: string;
}

export type FfmpegLookup =
  { readonly ok: true; readonly tools: FfmpegTools } | { readonly ok: false; readonly reason: string };

/**
 * Finds ffmpeg + ffprobe. `searchPath` is the PATH to search (the CLI passes the environment's;
 * the engine never reads process.env). Both must come from the same place.
 */
export function locateFfmpeg(
  searchPath: string | undefined,
  options: { readonly packages?: boolean } = {},
): FfmpegLookup {
  for (const dir of (searchPath ?? '').split(path.delimiter).filter(Boolean)) {
    const ffmpeg = path.join(dir, 'ffmpeg');
    const ffprobe = path.join(dir, 'ffprobe');
    if (isExecutable(ffmpeg) && isExecutable(ffprobe)) {
      return { ok: true, tools: { ffmpeg, ffprobe, source: 'system' } };
    }
  }
  const platform = `${process.platform}-${process.arch}`;
  if (options.packages === false) {
    return { ok: false, reason: `ffmpeg not found: no ffmpeg and ffprobe in ${searchPath || '(nothing)'}` };
  }
  const require = createRequire(import.meta.url);
  const fromPackage = (scope: string, bin: string): string | undefined => {
    try {
      const file = path.join(path.dirname(require.resolve(`${scope}/${platform}/package.json`)), bin);
      return isExecutable(file) || makeExecutable(file) ? file : undefined;
    } catch {
      return undefined;
    }
  };
  const ffmpeg = fromPackage('@ffmpeg-installer', 'ffmpeg');
  const ffprobe = fromPackage('@ffprobe-installer', 'ffprobe');
  if (ffmpeg && ffprobe) {
    return { ok: true, tools: { ffmpeg, ffprobe, source: `@ffmpeg-installer/${platform}` } };
  }
  return {
    ok: false,
    reason: `ffmpeg not found: no ffmpeg and ffprobe on PATH and no @ffmpeg-installer/${platform} + @ffprobe-installer/${platform} package (install ffmpeg, e.g. apt-get install ffmpeg)`,
  };
}

/**
 * The packages' own postinstall only runs `chmod u+x` on their binary; an install that skipped
 * scripts (npm's allowScripts, --ignore-scripts) leaves it 0644. Do that one step here, once.
 */
function makeExecutable(file: string): boolean {
  try {
    const mode = statSync(file).mode;
    chmodSync(file, mode | 0o100);
    return isExecutable(file);
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First line of `ffmpeg -version`, e.g. "ffmpeg version 5.1.6-0+deb12u1". */
export async function describeFfmpeg(tools: FfmpegTools): Promise<FfmpegTools> {
  const runner = new FfmpegRunner(tools);
  try {
    const out = await runner.capture('ffmpeg', ['-hide_banner', '-version'], { timeoutMs: 10_000 });
    return { ...tools, version: out.stdout.toString('utf8').split('\n')[0]?.trim() ?? 'unknown' };
  } finally {
    runner.dispose();
  }
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Largest stdout kept by capture() (ffprobe JSON); more fails the call. */
  readonly maxOutputBytes?: number;
}

export interface CaptureResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child: its stdout as a stream, the tail of its stderr, and how it ended. */
export interface FfmpegProcess {
  readonly stdout: Readable;
  readonly pid: number | undefined;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<CaptureResult>;
  /** Kills the child's whole process group. */
  kill(): void;
  /** Receives stderr text as it arrives (the tail is also kept for `exited`). */
  onStderr(listener: (text: string) => void): void;
}

const STDERR_TAIL = 8192;

/**
 * Owns the children it spawns. One per indexing run (or per command); dispose() kills whatever
 * is still running, and so does the process's 'exit' event while any child lives.
 */
export class FfmpegRunner {
  readonly #children = new Set<ChildProcess>();
  readonly #onExit = (): void => this.dispose();
  #disposed = false;

  constructor(readonly tools: FfmpegTools) {}

  /** Starts a child whose stdout the caller streams; it is killed on timeout and abort. */
  start(bin: 'ffmpeg' | 'ffprobe', args: readonly string[], options: RunOptions): FfmpegProcess {
    if (options.signal?.aborted || this.#disposed) {
      throw new EngineError('ABORTED', 'aborted before ffmpeg started');
    }
    const child = spawn(bin === 'ffmpeg' ? this.tools.ffmpeg : this.tools.ffprobe, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: terminal signals reach clipdex only
    });
    this.#track(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    const kill = (): void => killGroup(child);
    const timer = setTimeout(kill, options.timeoutMs);
    timer.unref();
    options.signal?.addEventListener('abort', kill, { once: true });
    const exited = new Promise<CaptureResult>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', kill);
        this.#untrack(child);
        resolve({ stdout: Buffer.alloc(0), stderr, code, signal });
      };
      child.once('error', () => done(null, null));
      child.once('close', done);
    });
    return {
      stdout: child.stdout,
      pid: child.pid,
      exited,
      kill,
      onStderr: (listener) => child.stderr?.on('data', listener),
    };
  }

  /** Runs to completion and returns stdout (bounded) and the stderr tail. */
  async capture(
    bin: 'ffmpeg' | 'ffprobe',
    args: readonly string[],
    options: RunOptions,
  ): Promise<CaptureResult> {
    const proc = this.start(bin, args, options);
    const chunks: Buffer[] = [];
    let size = 0;
    const limit = options.maxOutputBytes ?? 16 * 1024 * 1024;
    proc.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) proc.kill();
      else chunks.push(chunk);
    });
    const result = await proc.exited;
    if (size > limit) throw new EngineError('TOO_LARGE', `${bin} printed more than ${limit} bytes`);
    return { ...result, stdout: Buffer.concat(chunks) };
  }

  /** Pids of the children still running (for tests and diagnostics). */
  get pids(): number[] {
    return [...this.#children].flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
  }

  /** Kills every child still running. Safe to call more than once. */
  dispose(): void {
    this.#disposed = true;
    for (const child of this.#children) killGroup(child);
    this.#children.clear();
    process.removeListener('exit', this.#onExit);
  }

  #track(child: ChildProcess): void {
    if (this.#children.size === 0) process.on('exit', this.#onExit);
    this.#children.add(child);
  }

  #untrack(child: ChildProcess): void {
    this.#children.delete(child);
    if (this.#children.size === 0) process.removeListener('exit', this.#onExit);
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
