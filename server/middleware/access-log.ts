/** One line per finished request: method, path, status, milliseconds and request id. */
import type { RequestHandler } from 'express';
import { requestIdOf } from './request-id.ts';

export function accessLog(log: (line: string) => void): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const ms = (performance.now() - started).toFixed(1);
      log(
        `${req.method} ${req.originalUrl.slice(0, 200)} ${res.statusCode} ${ms}ms ${requestIdOf(res) ?? '-'}`,
      );
    });
    next();
  };
}
