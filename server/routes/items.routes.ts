/**
 * Items by id — never by path, so no request can name a file outside the library:
 *   GET /api/items/:id            metadata plus linked captions (or images, for a caption)
 *   GET /api/items/:id/file       the original bytes (images) or the text
 *   GET /api/items/:id/thumbnail  a cached thumbnail (?size=32..1024)
 *   GET /api/items/:id/similar    nearest items in either modality (?target=image|text, …)
 *   GET /api/items/:id/shots      a video's shots, scored against ?q= when given
 * Videos (and their shots, which are items too) serve the video file, with HTTP Range.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { EngineError, fromFsError } from '../../src/errors.ts';
import type { Item } from '../../src/store/library.types.ts';
import type { AppDeps } from '../app-deps.ts';
import { validate } from '../schemas/validate.ts';
import { itemView, shotView, thumbnailVersion } from './item-view.ts';
import { fromSimilar } from './search-request.ts';
import { runSearch } from './search.routes.ts';

const MIME_BY_FORMAT: Readonly<Record<string, string>> = {
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  heif: 'image/heif',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  // videos (issue 14): served with byte ranges so players can seek
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
  '3gp': 'video/3gpp',
};

const shotsQuery = z.object({ q: z.string().trim().min(1).max(1000).optional() });

const thumbQuery = z.object({
  size: z.coerce.number().int().min(32).max(1024).default(256),
  v: z.string().max(64).optional(),
});

export function parseItemId(raw: unknown): number {
  const text = String(raw);
  const id = /^[1-9]\d{0,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) {
    throw new EngineError('INVALID_INPUT', `item id must be a positive integer, got '${text.slice(0, 40)}'`);
  }
  return id;
}

export function itemRoutes(deps: AppDeps): Router {
  const router = Router();
  const { library } = deps;

  function findItem(req: Request): Item {
    const id = parseItemId(req.params['id']);
    const item = library.getItem(id);
    if (!item || item.status === 'deleted') throw new EngineError('NOT_FOUND', `item ${id} does not exist`);
    return item;
  }

  /** The item's file, refusing anything that resolves outside its registered root. */
  function filePath(item: Item): string {
    const absolute = library.resolvePath(item);
    const root = library.listRoots().find((r) => r.id === item.rootId);
    if (absolute === null || !root) throw new EngineError('NOT_FOUND', `item ${item.id} has no file`);
    const relative = path.relative(root.path, absolute);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new EngineError('NOT_FOUND', `item ${item.id} has no file inside its library root`);
    }
    return absolute;
  }

  router.get('/api/items/:id', (req, res) => {
    const item = findItem(req);
    res.json({
      item: { ...itemView(item), status: item.status, error: item.error, metadata: item.metadata },
      linked: library
        .linkedItems(item.id)
        .filter((i) => i.status === 'indexed')
        .map(itemView),
    });
  });

  router.get('/api/items/:id/file', async (req, res) => {
    const item = findItem(req);
    if (item.kind === 'text') {
      res.type('text/plain; charset=utf-8').send(item.text ?? '');
      return;
    }
    const file = filePath(item);
    // Files are served as attachments-in-a-sandbox: an SVG in the library must not run script.
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const mime = item.format === null ? undefined : MIME_BY_FORMAT[item.format];
    if (mime) res.type(mime);
    await sendFile(res, file, item.id);
  });

  router.get('/api/items/:id/thumbnail', async (req, res) => {
    const item = findItem(req);
    if (item.kind === 'text') {
      throw new EngineError('NOT_FOUND', `item ${item.id} is a text and has no thumbnail`);
    }
    const { size, v } = validate(thumbQuery, req.query, 'thumbnail query');
    const keyframe = item.kind === 'image' ? undefined : keyframeOf(item);
    const version = thumbnailVersion(keyframe?.video ?? item);
    const etag = `"${version}-${size}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', v === version ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (req.get('if-none-match') === etag) {
      res.status(304).end();
      return;
    }
    const thumb = await deps.thumbnails.get(`${item.id}:${version}:${size}`, async () => {
      if (keyframe) return deps.makeThumbnail(keyframe.jpeg, size);
      const file = filePath(item);
      const bytes = await readFile(file).catch((error: unknown) => {
        throw fromFsError(error, `file of item ${item.id}`);
      });
      return deps.makeThumbnail(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), size);
    });
    res
      .type(thumb.contentType)
      .send(Buffer.from(thumb.bytes.buffer, thumb.bytes.byteOffset, thumb.bytes.byteLength));
  });

  router.get('/api/items/:id/shots', async (req, res) => {
    const item = findItem(req);
    const video =
      item.kind === 'shot' ? library.getItem(library.shotsByIds([item.id]).get(item.id)?.videoId ?? 0) : item;
    if (!video || video.kind !== 'video') {
      throw new EngineError('NOT_FOUND', `item ${item.id} is not a video`);
    }
    const { q } = validate(shotsQuery, req.query, 'shots query');
    const shots = library.shotsOf(video.id);
    const scores = new Map<number, number>();
    if (q !== undefined && shots.length > 0) {
      const query = await deps.search.embedTerms([{ text: q }]);
      for (const hit of library.score(
        query,
        shots.map((s) => s.id),
      )) {
        scores.set(hit.id, hit.score);
      }
    }
    res.json({
      video: itemView(video),
      query: q ?? null,
      shots: shots.map((s) => shotView(video, s, scores.get(s.id))),
    });
  });

  /** A video's (its middle shot's) or a shot's stored keyframe JPEG, and the video it belongs to. */
  function keyframeOf(item: Item): { jpeg: Uint8Array; video: Item } {
    const shot = item.kind === 'shot' ? library.shotsByIds([item.id]).get(item.id) : undefined;
    const video = shot ? library.getItem(shot.videoId) : item;
    const shots = video ? library.shotsOf(video.id) : [];
    const pick = shot ?? shots[Math.floor(shots.length / 2)];
    const jpeg = pick ? library.shotThumbnail(pick.id) : undefined;
    if (!video || !jpeg) throw new EngineError('NOT_FOUND', `item ${item.id} has no keyframe`);
    return { jpeg, video };
  }

  router.get('/api/items/:id/similar', async (req, res) => {
    const item = findItem(req);
    res.json(await runSearch(deps, fromSimilar(item.id, req.query)));
  });

  return router;
}

function sendFile(res: Response, file: string, id: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // dotfiles: the path came from the library, not the request, so a dot folder is legitimate.
    res.sendFile(file, { dotfiles: 'allow', maxAge: 0 }, (error?: unknown) => {
      if (!error) resolve();
      else if ((error as { code?: string }).code === 'ENOENT') {
        reject(new EngineError('NOT_FOUND', `the file of item ${id} is gone from disk`));
      } else if (res.headersSent) {
        resolve();
      } // client went away mid-transfer; nothing to answer
      else reject(fromFsError(error, `file of item ${id}`));
    });
  });
}
