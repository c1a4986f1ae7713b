/**
 * What every CLI command receives instead of reaching for globals: where to print, where it
 * runs, how to be cancelled, and the environment (read here, at the edge, never in src/).
 */
export interface CommandContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Aborted on the first SIGINT/SIGTERM; commands stop after the current unit of work. */
  readonly signal: AbortSignal;
  /** Whether stderr is a terminal (progress bars) or not (plain lines). */
  readonly interactive: boolean;
}

/** Thrown by commands to end the process with a given status after cleanup has run. */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}
