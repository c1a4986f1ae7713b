/**
 * A model's identity for libraries: sha256 of every file that shapes the embeddings (both
 * graphs, tokenizer, configs) plus layout, dim, context length and preprocessing. The directory
 * name is recorded but not hashed, so a copied or renamed package keeps its id.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { ModelFingerprint, ModelLayout } from '../common/model-fingerprint.ts';
import type { PreprocessSpec } from '../image/preprocess.types.ts';
import { fromFsError } from '../errors.ts';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    throw fromFsError(error, `hashing ${file}`);
  }
  return hash.digest('hex');
}

export interface FingerprintInput {
  readonly dir: string;
  readonly name: string;
  readonly layout: ModelLayout;
  readonly dim: number;
  readonly contextLength: number;
  /** Paths relative to dir. */
  readonly files: readonly string[];
  readonly preprocess: PreprocessSpec;
  /** sha256 already computed for some of `files` (relative path → hex), so they are not read twice. */
  readonly known?: ReadonlyMap<string, string>;
}

/** Key order fixed so the JSON (and the hash) never depends on object construction order. */
function canonicalSpec(spec: PreprocessSpec): unknown[] {
  return [
    spec.width,
    spec.height,
    spec.resizeMode,
    spec.shortestEdge ?? null,
    [...spec.mean],
    [...spec.std],
    spec.interpolation,
    spec.rescaleFactor,
  ];
}

export async function computeFingerprint(input: FingerprintInput): Promise<ModelFingerprint> {
  const files: Record<string, string> = {};
  // Forward slashes so the id is the same on Windows.
  for (const rel of [...new Set(input.files)].sort()) {
    files[rel.split(path.sep).join('/')] =
      input.known?.get(path.normalize(rel)) ?? (await sha256File(path.join(input.dir, rel)));
  }
  const canonical = JSON.stringify([
    1,
    input.layout,
    input.dim,
    input.contextLength,
    Object.entries(files).sort(),
    canonicalSpec(input.preprocess),
  ]);
  const id = createHash('sha256').update(canonical).digest('hex').slice(0, 24);
  return { id, name: input.name, layout: input.layout, dim: input.dim, files, preprocess: input.preprocess };
}
