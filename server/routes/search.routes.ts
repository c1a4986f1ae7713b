/**
 * Search over HTTP: words, photos, items and weighted mixes of them, into either modality.
 *   GET  /api/search?q=…&target=image|text&k=&cursor=&minScore=&sort=&<filters>
 *   POST /api/search   JSON body | multipart (image field) | raw image bytes
 */
import { Router } from 'express';
import type { SearchRequest } from '../../src/search/search.types.ts';
import type { AppDeps } from '../app-deps.ts';
import { uploadBody, uploadedImage } from '../middleware/upload-body.ts';
import { hitView } from './item-view.ts';
import { fromImageBytes, fromJsonBody, fromMultipart, fromQueryString } from './search-request.ts';

export async function runSearch(deps: AppDeps, request: SearchRequest) {
  const started = performance.now();
  const page = await deps.search.search(request);
  return {
    target: request.target,
    results: page.results.map((hit) => hitView(hit)),
    nextCursor: page.nextCursor,
    rerank: page.rerank ?? null,
    tookMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

export function searchRoutes(deps: AppDeps): Router {
  const router = Router();

  router.get('/api/search', async (req, res) => {
    res.json(await runSearch(deps, fromQueryString(req.query)));
  });

  router.post('/api/search', uploadBody(deps.config.maxUploadBytes), async (req, res) => {
    let request: SearchRequest;
    if (req.is('multipart/form-data')) request = fromMultipart(req.body, uploadedImage(req));
    else if (req.is('image/*')) request = fromImageBytes(uploadedImage(req)!, req.query);
    else request = fromJsonBody(req.body);
    res.json(await runSearch(deps, request));
  });

  return router;
}
