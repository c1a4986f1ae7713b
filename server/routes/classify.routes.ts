/**
 * POST /api/classify — zero-shot classification of a photo or an item against labels.
 *   JSON: { "labels": ["a cat", "a dog"], "itemId": 42 | "image": "<base64>", "template"?, "logitScale"? }
 *   multipart: image file + labels (JSON array, repeated fields, or comma-separated)
 *   raw image bytes: ?labels=a cat,a dog
 */
import { Router } from 'express';
import { z } from 'zod';
import { EngineError } from '../../src/errors.ts';
import { classify, MAX_LABELS } from '../../src/search/classify.ts';
import type { QueryTerm } from '../../src/search/search.types.ts';
import type { AppDeps } from '../app-deps.ts';
import { uploadBody, uploadedImage } from '../middleware/upload-body.ts';
import { base64Image } from '../schemas/search.schema.ts';
import { validate } from '../schemas/validate.ts';

const label = z.string().trim().min(1).max(200);
const labels = z.array(label).min(1, 'give at least one label').max(MAX_LABELS);
const options = {
  template: z.string().min(2).max(300).includes('{}', { message: "template must contain '{}'" }).optional(),
  logitScale: z.coerce.number().positive().max(1000).optional(),
};

export const classifyBodySchema = z
  .object({
    labels,
    itemId: z.number().int().positive().optional(),
    image: base64Image.optional(),
    ...options,
  })
  .strict()
  .refine((b) => (b.itemId === undefined) !== (b.image === undefined), {
    message: 'give exactly one of itemId or image',
  });

const fieldsSchema = z.object({ labels: z.union([z.string(), z.array(z.string())]).optional(), ...options });

/** Labels from form fields or query strings: a JSON array, repeated fields or "a,b,c". */
function labelsFrom(raw: string | string[] | undefined): string[] {
  if (raw === undefined) return [];
  if (Array.isArray(raw)) return raw;
  const text = raw.trim();
  if (text.startsWith('[')) {
    try {
      return z.array(z.string()).parse(JSON.parse(text));
    } catch {
      throw new EngineError(
        'INVALID_INPUT',
        'labels must be a JSON array of strings, repeated fields or comma-separated',
      );
    }
  }
  return text.split(',');
}

export function classifyRoutes(deps: AppDeps): Router {
  const router = Router();

  router.post('/api/classify', uploadBody(deps.config.maxUploadBytes), async (req, res) => {
    let term: QueryTerm;
    let parsed: { labels: string[]; template?: string | undefined; logitScale?: number | undefined };
    if (req.is('application/json')) {
      const body = validate(classifyBodySchema, req.body, 'classify body');
      term = body.itemId !== undefined ? { itemId: body.itemId } : { image: body.image! };
      parsed = body;
    } else {
      const image = uploadedImage(req);
      if (!image) {
        throw new EngineError('INVALID_INPUT', 'give an image file (multipart field "image") or image bytes');
      }
      const fields = validate(
        fieldsSchema,
        req.is('multipart/form-data') ? req.body : req.query,
        'classify fields',
      );
      parsed = { ...fields, labels: validate(labels, labelsFrom(fields.labels), 'labels') };
      term = { image };
    }
    const vector = await deps.search.embedTerms([term]);
    const scores = await classify(vector, parsed.labels, deps.text, {
      ...(parsed.template === undefined ? {} : { template: parsed.template }),
      ...(parsed.logitScale === undefined ? {} : { logitScale: parsed.logitScale }),
    });
    res.json({ labels: scores.map((s) => ({ ...s, probability: Math.round(s.probability * 1e6) / 1e6 })) });
  });

  return router;
}
