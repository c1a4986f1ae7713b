/**
 * Shared setup for the store's integration tests: a temp library directory, a model
 * fingerprint, and deterministic unit vectors.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ModelFingerprint } from '../../../src/common/model-fingerprint.ts';
import type { ItemWrite } from '../../../src/store/library.types.ts';

export const DIM = 16;

export function fingerprint(overrides: Partial<ModelFingerprint> = {}): ModelFingerprint {
  return {
    id: 'fp-test-a',
    name: 'test-clip-a',
    layout: 'huggingface',
    dim: DIM,
    files: { 'onnx/text_model.onnx': 'aa', 'onnx/vision_model.onnx': 'bb' },
    preprocess: {
      width: 32,
      height: 32,
      resizeMode: 'shortest',
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      interpolation: 'bicubic',
      rescaleFactor: 1 / 255,
    },
    ...overrides,
  };
}

/** Deterministic pseudo-random unit vector for a seed (mulberry32). */
export function unitVector(seed: number, dim = DIM): Float32Array {
  let state = (seed * 2654435761) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const v = new Float32Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = next();
    norm += v[i]! * v[i]!;
  }
  for (let i = 0; i < dim; i++) v[i]! /= Math.sqrt(norm);
  return v;
}

export function imageWrite(rootId: number, n: number, extra: Partial<ItemWrite> = {}): ItemWrite {
  return {
    kind: 'image',
    rootId,
    uri: `photos/img-${n}.jpg`,
    contentHash: `hash-${n}`,
    size: 1000 + n,
    mtimeMs: 1_700_000_000_000 + n,
    width: 100 + n,
    height: 50 + n,
    format: 'jpeg',
    status: 'indexed',
    vector: unitVector(n),
    ...extra,
  };
}

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'clipdex-'));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}
