/**
 * Remembers the vectors of recent text queries. Scrolling a result list asks for page after page
 * of the same words, and popular queries repeat; a transformer pass per page is wasted work.
 * Least recently used entries go first; the vectors are never mutated by callers (the search
 * service only reads them), so sharing them is safe.
 */
import type { TextEncoder } from '../src/encoders/encoder.ts';

export function cachedTextEncoder(inner: TextEncoder, capacity: number): TextEncoder {
  if (capacity <= 0) return inner;
  const cache = new Map<string, Promise<Float32Array>>();
  const encodeOne = (text: string): Promise<Float32Array> => {
    const hit = cache.get(text);
    if (hit) {
      cache.delete(text);
      cache.set(text, hit);
      return hit;
    }
    const work = inner.encodeOne(text);
    cache.set(text, work);
    // A failed encode must not be remembered.
    work.catch(() => cache.delete(text));
    if (cache.size > capacity) cache.delete(cache.keys().next().value!);
    return work;
  };
  return {
    dim: inner.dim,
    modelId: inner.modelId,
    contextLength: inner.contextLength,
    encodeOne,
    encodeBatch: (texts) => Promise.all(texts.map(encodeOne)),
  };
}
