/**
 * GET /api/duplicates?tier=exact|near|similar&cursor=&k= — duplicate groups, a page at a time,
 * each with the item to keep, why, and thumbnails. The scan (union-find over stored neighbour
 * pairs, or one k-NN query per image where none are stored) runs once per library state and is
 * reused for paging until the library changes.
 */
import { Router } from 'express';
import { z } from 'zod';
import { resolveThresholds } from '../../src/duplicates/duplicate-thresholds.ts';
import type { DuplicateReport } from '../../src/duplicates/duplicate.types.ts';
import { findDuplicatesParallel } from '../../src/duplicates/find-duplicates.ts';
import { NeighbourPool } from '../../src/duplicates/neighbour-pool.ts';
import { decodeCursor, encodeCursor } from '../../src/search/cursor.ts';
import type { AppDeps } from '../app-deps.ts';
import { validate } from '../schemas/validate.ts';
import { itemView } from './item-view.ts';

export const duplicatesQuerySchema = z.object({
  tier: z.enum(['exact', 'near', 'similar']).optional(),
  cursor: z.string().min(1).max(512).optional(),
  k: z.coerce.number().int('k must be a whole number').min(1).max(200).default(50),
});

export function duplicatesRoutes(deps: AppDeps): Router {
  const router = Router();
  let cached: { key: string; report: Promise<DuplicateReport> } | undefined;
  const scan = (): Promise<DuplicateReport> => {
    const counts = deps.library.counts('image');
    const run = deps.library.lastRun();
    const key = JSON.stringify([counts, run?.id, run?.finishedAt, deps.library.imageSignatures(0, 1)[0]?.id]);
    if (cached?.key !== key) {
      // Stored pairs make this a read; a library nobody linked yet needs one k-NN query per
      // image, which runs on worker threads (started only then, stopped right after), so the
      // event loop keeps serving meanwhile. Concurrent requests share the one scan.
      const pool = new NeighbourPool(deps.library.dir);
      const report = findDuplicatesParallel(deps.library, resolveThresholds(), pool).finally(() =>
        pool.close(),
      );
      const entry = { key, report };
      report.catch(() => {
        if (cached === entry) cached = undefined; // a failed scan is not cached
      });
      cached = entry;
    }
    return cached.report;
  };

  router.get('/api/duplicates', async (req, res) => {
    const query = validate(duplicatesQuerySchema, req.query, 'duplicates query');
    const report = await scan();
    const groups = report.groups.filter((g) => query.tier === undefined || g.tier === query.tier);
    const offset = query.cursor === undefined ? 0 : decodeCursor(query.cursor).offset;
    const page = groups.slice(offset, offset + query.k);
    const items = new Map(
      deps.library.getItems(page.flatMap((g) => g.items.map((m) => m.id))).map((i) => [i.id, i]),
    );
    res.json({
      groups: page.map((g) => ({
        ...g,
        items: g.items.map((m) => {
          const item = items.get(m.id);
          return { ...m, thumbnailUrl: item ? itemView(item).thumbnailUrl : null };
        }),
      })),
      total: groups.length,
      images: report.images,
      withoutHash: report.withoutHash,
      withoutFingerprint: report.withoutFingerprint,
      nextCursor: offset + query.k < groups.length ? encodeCursor({ offset: offset + query.k }) : null,
    });
  });
  return router;
}
