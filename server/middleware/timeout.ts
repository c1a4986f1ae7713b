/**
 * Answers 503 TIMEOUT when a request runs past its budget, so a stuck decode or a huge query
 * never leaves a client hanging. The work itself cannot be cancelled mid-graph; its late result
 * is dropped because the response is already sent.
 */
import type { RequestHandler } from 'express';
import { EngineError } from '../../src/errors.ts';

export function timeout(ms: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (!res.headersSent) next(new EngineError('TIMEOUT', `request took longer than ${ms} ms`));
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
