/**
 * Finding a tower's inputs and outputs the way real exports need: by the known names first,
 * then by position (immich and clip-as-service read output 0), and reading batch/sequence dims
 * that may be fixed (immich, Chinese-CLIP: batch 1) or dynamic (HF/Xenova).
 */
import { EngineError } from '../errors.ts';
import type { GraphValue } from './onnx-session.ts';

export function pickByName(
  values: readonly GraphValue[],
  names: readonly string[],
  accept: (v: GraphValue) => boolean = () => true,
): GraphValue | undefined {
  for (const name of names) {
    const hit = values.find((v) => v.name === name && accept(v));
    if (hit) return hit;
  }
  return undefined;
}

/** By name, else the first value that `accept`s (position fallback). */
export function pickValue(
  values: readonly GraphValue[],
  names: readonly string[],
  accept: (v: GraphValue) => boolean,
  what: string,
  file: string,
): GraphValue {
  const found = pickByName(values, names, accept) ?? values.find(accept);
  if (!found) {
    const have = values.map(describeValue).join(', ') || 'none';
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${file}: no ${what} (looked for ${names.join(' / ')} or any ${what}; graph has ${have})`,
    );
  }
  return found;
}

export function describeValue(v: GraphValue): string {
  return `${v.name}: ${v.type}[${v.shape.join(', ')}]`;
}

/** A fixed dimension, or undefined when it is dynamic. */
export function staticDim(value: GraphValue, axis: number): number | undefined {
  const dim = value.shape[axis];
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

export const isIntegerTensor = (v: GraphValue): boolean => v.type === 'int64' || v.type === 'int32';
export const isFloatTensor = (v: GraphValue): boolean => v.type === 'float32' || v.type === 'float16';

/** Splits work into runs the graph accepts: one item at a time when the batch dim is fixed to 1. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
