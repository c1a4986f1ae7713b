/** Runs a zod schema and turns its complaints into one readable INVALID_INPUT error. */
import type { z } from 'zod';
import { EngineError } from '../../src/errors.ts';

export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
  throw new EngineError('INVALID_INPUT', `invalid ${what}: ${problems.join('; ')}`);
}

/** Parses a JSON-valued form field; a syntax error is the caller's, not ours. */
export function parseJsonField(text: string | undefined, field: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EngineError('INVALID_INPUT', `field '${field}' must be JSON`);
  }
}
