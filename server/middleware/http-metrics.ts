/**
 * Counts and times every request under its route pattern (`/api/items/:id`, not `/api/items/42`),
 * so the label set stays small however many items are fetched.
 */
import type { Request, RequestHandler } from 'express';
import type { ServerMetrics } from '../server-metrics.ts';

function routeOf(req: Request): string {
  const pattern: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}`;
  return req.method === 'GET' || req.method === 'HEAD' ? 'static_or_unmatched' : 'unmatched';
}

export function httpMetrics(metrics: ServerMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = routeOf(req);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.latency.observe({ method: req.method, route }, seconds);
    });
    next();
  };
}
