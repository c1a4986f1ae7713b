/**
 * Operational endpoints: GET /health (is the model loaded and the library open, which execution
 * provider runs, how many items) and GET /metrics (Prometheus text format).
 */
import path from 'node:path';
import { Router } from 'express';
import { EngineError } from '../../src/errors.ts';
import type { AppDeps } from '../app-deps.ts';

export function healthRoutes(deps: AppDeps): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    let images;
    let texts;
    try {
      images = deps.library.counts('image');
      texts = deps.library.counts('text');
    } catch (error) {
      throw new EngineError('CLOSED', 'the library is not open', { cause: error });
    }
    const { fingerprint } = deps.model;
    res.json({
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      model: {
        loaded: true,
        name: fingerprint.name,
        id: fingerprint.id,
        dim: fingerprint.dim,
        layout: fingerprint.layout,
      },
      executionProvider: deps.model.executionProvider,
      // The directory's name only: a health probe must not tell the network where files live.
      library: {
        open: true,
        name: path.basename(deps.library.dir),
        readOnly: deps.library.readOnly,
        images,
        texts,
      },
      microBatching: deps.config.microBatch,
    });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return router;
}
