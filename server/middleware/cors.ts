/**
 * CORS for exactly one configured origin (or '*'), off unless asked for: the page is served by
 * the same origin and needs none, and a home server should not be callable from every site a
 * browser visits.
 */
import type { RequestHandler } from 'express';

export function cors(origin: string): RequestHandler {
  return (req, res, next) => {
    const requestOrigin = req.get('origin');
    if (requestOrigin !== undefined && (origin === '*' || requestOrigin === origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin === '*' ? '*' : requestOrigin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Api-Key, X-Request-Id');
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}
