/**
 * Body parsing for endpoints that take an image: JSON (parsed app-wide, images as base64),
 * multipart/form-data with one `image` file, or the raw bytes with an image/* content type.
 * Every path enforces the same byte limit; anything else is 415 with a hint.
 */
import express, { type RequestHandler } from 'express';
import multer from 'multer';
import { EngineError } from '../../src/errors.ts';

export function uploadBody(maxBytes: number): RequestHandler {
  const multipart = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 40, fieldSize: 100_000, parts: 48 },
  }).single('image');
  const raw = express.raw({ type: 'image/*', limit: maxBytes });

  return (req, res, next) => {
    const hasBody = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
    if (!hasBody) {
      next(
        new EngineError(
          'INVALID_INPUT',
          'empty request body: send JSON, a multipart form with an image field, or image bytes',
        ),
      );
      return;
    }
    if (req.is('application/json')) {
      next();
      return;
    }
    if (req.is('multipart/form-data')) {
      multipart(req, res, next);
      return;
    }
    if (req.is('image/*')) {
      raw(req, res, next);
      return;
    }
    next(
      new EngineError(
        'UNSUPPORTED_MEDIA',
        `unsupported content type '${req.get('content-type') ?? ''}': send application/json, multipart/form-data with an image field, or image/* bytes`,
      ),
    );
  };
}

/** The uploaded image bytes, from whichever body form carried them. */
export function uploadedImage(req: express.Request): Uint8Array | undefined {
  // An empty image is the same mistake however it is sent: 400, never a decode attempt (415).
  if (req.file) {
    if (req.file.size === 0) {
      throw new EngineError('INVALID_INPUT', 'empty image: the image field holds 0 bytes');
    }
    return new Uint8Array(req.file.buffer.buffer, req.file.buffer.byteOffset, req.file.buffer.byteLength);
  }
  if (Buffer.isBuffer(req.body)) {
    if (req.body.byteLength === 0) {
      throw new EngineError('INVALID_INPUT', 'empty image: the request body holds 0 bytes');
    }
    return new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength);
  }
  return undefined;
}

export function isRawImage(req: express.Request): boolean {
  return Buffer.isBuffer(req.body);
}
