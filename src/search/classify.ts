/**
 * Zero-shot classification: score an image (or any item's vector) against a list of labels by
 * encoding each label as text and taking a softmax over the scaled cosine similarities, the way
 * CLIP was evaluated (logit scale 100 for OpenAI CLIP). Labels that share no meaning with the
 * image still share the probability mass, so the answer is "which of these", not "is it any".
 */
import { EngineError } from '../errors.ts';
import type { TextEncoder } from '../encoders/encoder.ts';
import { dot } from '../vector/vector-math.ts';

export interface ClassifyOptions {
  /** Multiplier applied to cosines before the softmax (CLIP's learned logit scale; default 100). */
  readonly logitScale?: number;
  /** Prompt template with `{}` where the label goes, e.g. 'a photo of {}' (default: the label itself). */
  readonly template?: string;
}

export interface LabelScore {
  readonly label: string;
  /** Softmax probability across the given labels; they sum to 1. */
  readonly probability: number;
  /** Raw cosine similarity of the image and the label prompt. */
  readonly score: number;
}

export const MAX_LABELS = 256;

/** Numerically stable softmax. */
export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Probabilities for each label, most likely first. */
export async function classify(
  vector: Float32Array,
  labels: readonly string[],
  text: TextEncoder,
  options: ClassifyOptions = {},
): Promise<LabelScore[]> {
  const clean = labels.map((l) => l.trim());
  if (clean.length === 0) throw new EngineError('INVALID_INPUT', 'classify needs at least one label');
  if (clean.length > MAX_LABELS) {
    throw new EngineError('INVALID_INPUT', `at most ${MAX_LABELS} labels, got ${clean.length}`);
  }
  if (clean.some((l) => l.length === 0)) throw new EngineError('INVALID_INPUT', 'labels must not be empty');
  if (new Set(clean).size !== clean.length) throw new EngineError('INVALID_INPUT', 'labels must be distinct');
  const template = options.template ?? '{}';
  if (!template.includes('{}')) {
    throw new EngineError('INVALID_INPUT', "template must contain '{}' where the label goes");
  }
  const scale = options.logitScale ?? 100;
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new EngineError('INVALID_INPUT', 'logitScale must be a positive number');
  }
  if (vector.length !== text.dim) {
    throw new EngineError(
      'DIMENSION_MISMATCH',
      `image vector has ${vector.length} dimensions, the text tower ${text.dim}`,
    );
  }

  const prompts = clean.map((l) => template.replaceAll('{}', l));
  const vectors = await text.encodeBatch(prompts);
  const scores = vectors.map((v) => dot(vector, v));
  const probabilities = softmax(scores.map((s) => s * scale));
  return clean
    .map((label, i) => ({ label, probability: probabilities[i]!, score: scores[i]! }))
    .sort((a, b) => b.probability - a.probability);
}
