/**
 * Zero-shot tags: each label is embedded once through several prompt templates ("a photo of
 * {}", …) whose vectors are averaged (CLIP's prompt ensembling), and an image's tags are the
 * labels whose softmax probability over the label set reaches the threshold, most probable
 * first, at most `maxTags`.
 */
import type { TextEncoder } from '../encoders/encoder.ts';
import { EngineError } from '../errors.ts';
import type { TagLabelSet, TagScore, TagSettings } from '../store/library.types.ts';
import { dot, l2Normalize } from '../vector/vector-math.ts';

/** Measured on the demo corpus with the bundled model (docs/tags.md): see bench/tags-eval.ts. */
export const DEFAULT_TEMPLATES: readonly string[] = ['{}', 'a photo of {}', 'an emoji of {}'];
export const DEFAULT_TAG_SETTINGS: TagSettings = Object.freeze({
  threshold: 0.2,
  templates: DEFAULT_TEMPLATES,
  logitScale: 100,
  maxTags: 5,
});

const ENCODE_CHUNK = 256;

export async function embedLabels(
  labels: readonly string[],
  text: TextEncoder,
  templates: readonly string[],
): Promise<TagLabelSet['labels']> {
  if (templates.length === 0 || templates.some((t) => !t.includes('{}'))) {
    throw new EngineError('INVALID_INPUT', "every template needs '{}' where the label goes");
  }
  const prompts = labels.flatMap((l) => templates.map((t) => t.replaceAll('{}', l)));
  const vectors: Float32Array[] = [];
  for (let i = 0; i < prompts.length; i += ENCODE_CHUNK) {
    vectors.push(...(await text.encodeBatch(prompts.slice(i, i + ENCODE_CHUNK))));
  }
  return labels.map((label, i) => {
    const mean = new Float32Array(text.dim);
    for (let t = 0; t < templates.length; t++) {
      const v = vectors[i * templates.length + t]!;
      for (let d = 0; d < mean.length; d++) mean[d]! += v[d]!;
    }
    return { label, vector: l2Normalize(mean) };
  });
}

/** Tags of one image vector under a label set. */
export function tagVector(vector: Float32Array, set: TagLabelSet): TagScore[] {
  const { logitScale, threshold, maxTags } = set.settings;
  const logits = set.labels.map((l) => dot(vector, l.vector) * logitScale);
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  let sum = 0;
  const exps = logits.map((x) => {
    const e = Math.exp(x - max);
    sum += e;
    return e;
  });
  const tags: TagScore[] = [];
  exps.forEach((e, i) => {
    const p = e / sum;
    if (p >= threshold) tags.push({ label: set.labels[i]!.label, score: Math.round(p * 1e4) / 1e4 });
  });
  return tags.sort((a, b) => b.score - a.score || a.label.localeCompare(b.label)).slice(0, maxTags);
}

/** The most probable label of a vector (for precision@1), whatever the threshold. */
export function topLabel(vector: Float32Array, set: TagLabelSet): string | undefined {
  let best: string | undefined;
  let bestScore = -Infinity;
  for (const l of set.labels) {
    const s = dot(vector, l.vector);
    if (s > bestScore) {
      bestScore = s;
      best = l.label;
    }
  }
  return best;
}
