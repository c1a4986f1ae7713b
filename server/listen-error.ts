/** Turns a failed listen() into an error that says what to do. */
import { EngineError } from '../src/errors.ts';

export function listenError(error: unknown, host: string, port: number): EngineError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new EngineError(
      'CONFLICT',
      `port ${port} on ${host} is already in use; pick another with --port (0 = any free port)`,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new EngineError(
      'IO_ERROR',
      `not allowed to listen on ${host}:${port}; ports below 1024 need privileges`,
      { cause: error },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new EngineError('INVALID_INPUT', `cannot listen on host '${host}': no such local address`, {
      cause: error,
    });
  }
  return new EngineError(
    'IO_ERROR',
    `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
