/**
 * Guards endpoints that change the library. The key comes as `x-api-key: <key>` or
 * `Authorization: Bearer <key>` and is compared in constant time. With no key configured the
 * guarded endpoints are refused outright: a server exposed on a network must never let
 * anonymous callers change a library just because someone forgot a flag.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { EngineError } from '../../src/errors.ts';

function digest(value: string): Buffer {
  // Hash first so lengths never leak through timing and timingSafeEqual gets equal sizes.
  return createHash('sha256').update(value, 'utf8').digest();
}

export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const direct = header('x-api-key');
  if (direct !== undefined && direct.length > 0) return direct;
  const auth = header('authorization');
  const match = auth === undefined ? null : /^Bearer\s+(.+)$/i.exec(auth.trim());
  return match?.[1];
}

export function requireApiKey(apiKey: string | undefined): RequestHandler {
  const expected = apiKey === undefined ? undefined : digest(apiKey);
  return (req, _res, next) => {
    if (expected === undefined) {
      next(
        new EngineError(
          'UNAUTHORIZED',
          'this endpoint changes the library and the server was started without --api-key',
        ),
      );
      return;
    }
    const key = presentedKey((name) => req.get(name));
    if (key === undefined) {
      next(new EngineError('UNAUTHORIZED', 'missing API key (send x-api-key or Authorization: Bearer)'));
      return;
    }
    if (!timingSafeEqual(digest(key), expected)) {
      next(new EngineError('UNAUTHORIZED', 'wrong API key'));
      return;
    }
    next();
  };
}
