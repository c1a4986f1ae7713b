/**
 * The express app, built from injected parts and never listening by itself, so tests and the
 * CLI decide where it runs. Order matters: ids and metrics first (so every response, errors
 * included, gets both), then limits, then routes, then the JSON 404 and the one error handler.
 */
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { AppDeps } from './app-deps.ts';
import { openApiDocument } from './openapi.ts';
import { accessLog } from './middleware/access-log.ts';
import { cors } from './middleware/cors.ts';
import { errorHandler, notFound } from './middleware/error-handler.ts';
import { httpMetrics } from './middleware/http-metrics.ts';
import { libraryRefresh } from './middleware/library-refresh.ts';
import { requestId } from './middleware/request-id.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { timeout } from './middleware/timeout.ts';
import { classifyRoutes } from './routes/classify.routes.ts';
import { duplicatesRoutes } from './routes/duplicates.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { itemRoutes } from './routes/items.routes.ts';
import { searchRoutes } from './routes/search.routes.ts';

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const VERSION = '0.1.0';

/**
 * Every route is read-only today. A route that changes the library must be mounted behind
 * `requireApiKey(config.apiKey)` from ./middleware/api-key.ts.
 */
export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use(requestId());
  app.use(httpMetrics(deps.metrics));
  if (config.log) app.use(accessLog(config.log));
  app.use(securityHeaders());
  app.use(timeout(config.requestTimeoutMs));
  if (config.corsOrigin !== undefined) app.use(cors(config.corsOrigin));
  // Base64 grows bytes by 4/3: the JSON limit matches the upload limit for the same image.
  app.use(express.json({ limit: Math.ceil((config.maxUploadBytes * 4) / 3) + 64 * 1024 }));

  const openapi = openApiDocument(VERSION);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use(healthRoutes(deps));
  app.use(
    ['/api/search', '/api/items', '/api/classify', '/api/duplicates'],
    libraryRefresh(deps.library, config.refreshIntervalMs, config.log),
  );
  app.use(searchRoutes(deps));
  app.use(itemRoutes(deps));
  app.use(classifyRoutes(deps));
  app.use(duplicatesRoutes(deps));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '5m', fallthrough: true }));

  app.use(notFound);
  app.use(errorHandler(config.log));
  return app;
}
