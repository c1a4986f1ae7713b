/**
 * Default thresholds, chosen by measurement on the generated set's dev split (bench/
 * duplicates-eval.ts --split dev --sweep, bundled model) and then reported once on its test split
 * (numbers in docs/duplicates-and-tags.md). The hash distance only gates which candidates are
 * compared: the fingerprint match decides, and it is model-independent; the cosines depend on
 * the model, so all are overridable per call.
 */
import { EngineError } from '../errors.ts';
import type { DuplicateThresholds } from './duplicate.types.ts';

export const DEFAULT_DUPLICATE_THRESHOLDS: DuplicateThresholds = Object.freeze({
  nearMaxDistance: 28,
  nearMinCosine: 0.88,
  nearMinMatch: 0.97,
  similarMinCosine: 0.95,
  similarMaxPalette: 8,
  neighbours: 16,
});

export function resolveThresholds(partial: Partial<DuplicateThresholds> = {}): DuplicateThresholds {
  const given = Object.fromEntries(
    Object.entries(partial).filter(([, v]) => v !== undefined),
  ) as Partial<DuplicateThresholds>;
  const t: DuplicateThresholds = { ...DEFAULT_DUPLICATE_THRESHOLDS, ...given };
  if (!Number.isInteger(t.nearMaxDistance) || t.nearMaxDistance < 0 || t.nearMaxDistance > 64) {
    throw new EngineError('INVALID_INPUT', 'nearMaxDistance must be a whole number of bits from 0 to 64');
  }
  for (const key of ['nearMinCosine', 'nearMinMatch', 'similarMinCosine'] as const) {
    if (!(t[key] >= -1 && t[key] <= 1)) {
      throw new EngineError('INVALID_INPUT', `${key} must be a cosine from -1 to 1`);
    }
  }
  if (!(t.similarMaxPalette >= 0 && t.similarMaxPalette <= 255)) {
    throw new EngineError('INVALID_INPUT', 'similarMaxPalette must be from 0 to 255');
  }
  if (!Number.isInteger(t.neighbours) || t.neighbours < 1 || t.neighbours > 1000) {
    throw new EngineError('INVALID_INPUT', 'neighbours must be a whole number from 1 to 1000');
  }
  return t;
}
