/**
 * BASELINE for bench/store-scale.ts: the store's checkpoint code before segments (src/store/
 * hnsw-checkpoint.ts at d366c23~1), kept verbatim so the bench can measure today's design
 * against the old one on the same data. Not used by the product.
 *
 * Saving and loading one modality's HNSW graph with its sidecar (`<kind>.hnsw.json`), which
 * records the last vector sequence number the graph contains, the model, dimension, size and
 * sha256 of the graph file, and the labels it holds as deleted.
 *
 * Saves are atomic: graph and sidecar go to temp files, are fsynced, renamed over the old ones,
 * and the directory is fsynced. A crash between the two renames leaves a sidecar whose
 * checksum does not match the graph; load() then reports the pair unusable and the store
 * rebuilds from SQLite, which is always correct.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EngineError, fromFsError } from '../../src/errors.ts';
import { HnswFileCheck } from '../../src/vector/hnsw-file-check.ts';
import { HnswIndex } from '../../src/vector/hnsw-index.ts';
import type { ItemKind } from '../../src/store/library.types.ts';

export interface GraphIdentity {
  readonly libraryId: string;
  readonly modelId: string;
  readonly dim: number;
}

interface Sidecar extends GraphIdentity {
  readonly format: 1;
  readonly kind: ItemKind;
  readonly seq: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly deleted: number[];
  readonly savedAt: number;
}

export function graphPath(dir: string, kind: ItemKind): string {
  return path.join(dir, `${kind}.hnsw`);
}

function sidecarPath(dir: string, kind: ItemKind): string {
  return path.join(dir, `${kind}.hnsw.json`);
}

export async function saveGraph(
  dir: string,
  kind: ItemKind,
  index: HnswIndex,
  seq: number,
  identity: GraphIdentity,
): Promise<void> {
  const graphFile = graphPath(dir, kind);
  const suffix = `.tmp-${process.pid}`;
  const graphTmp = graphFile + suffix;
  const sidecarTmp = sidecarPath(dir, kind) + suffix;
  try {
    await index.save(graphTmp);
    await fsyncFile(graphTmp);
    const { bytes, sha256, complete } = await digest(graphTmp);
    // hnswlib does not check its writes: a full disk shows up only as a short file.
    if (!complete) {
      throw new EngineError(
        'IO_ERROR',
        `cannot save the ${kind} HNSW graph in ${dir}: the file was written incompletely (is the disk full?)`,
      );
    }
    const sidecar: Sidecar = {
      format: 1,
      kind,
      ...identity,
      seq,
      bytes,
      sha256,
      deleted: index.deletedLabels(),
      savedAt: Date.now(),
    };
    await fs.writeFile(sidecarTmp, JSON.stringify(sidecar));
    await fsyncFile(sidecarTmp);
    await fs.rename(graphTmp, graphFile);
    await fs.rename(sidecarTmp, sidecarPath(dir, kind));
    await fsyncFile(dir);
  } catch (error) {
    await Promise.all([fs.rm(graphTmp, { force: true }), fs.rm(sidecarTmp, { force: true })]).catch(
      () => undefined,
    );
    if (error instanceof EngineError) throw error;
    throw fromFsError(error, `cannot save the ${kind} HNSW graph in ${dir}`);
  }
}

export type LoadOutcome =
  | { readonly ok: true; readonly index: HnswIndex; readonly seq: number }
  | { readonly ok: false; readonly reason: string };

/** Loads a saved graph if it is complete and belongs to this library; says why not otherwise. */
export async function loadGraph(dir: string, kind: ItemKind, identity: GraphIdentity): Promise<LoadOutcome> {
  let sidecar: Sidecar;
  try {
    sidecar = JSON.parse(await fs.readFile(sidecarPath(dir, kind), 'utf8')) as Sidecar;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, reason: missing ? 'no saved graph' : `unreadable sidecar (${String(error)})` };
  }
  if (sidecar.format !== 1 || sidecar.kind !== kind || !Array.isArray(sidecar.deleted)) {
    return { ok: false, reason: 'unknown sidecar format' };
  }
  if (sidecar.libraryId !== identity.libraryId) {
    return { ok: false, reason: 'graph belongs to another library' };
  }
  if (sidecar.modelId !== identity.modelId || sidecar.dim !== identity.dim) {
    return { ok: false, reason: 'graph was built with another model' };
  }
  const file = graphPath(dir, kind);
  try {
    const { bytes, sha256, complete } = await digest(file);
    if (bytes !== sidecar.bytes || sha256 !== sidecar.sha256) {
      return { ok: false, reason: 'graph file does not match its sidecar checksum' };
    }
    if (!complete) return { ok: false, reason: 'graph file is incomplete' };
    const index = await HnswIndex.load(file, identity.dim, sidecar.deleted);
    return { ok: true, index, seq: sidecar.seq };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** One read of the graph file: its size, sha256 and whether its layout is complete. */
async function digest(file: string): Promise<{ bytes: number; sha256: string; complete: boolean }> {
  const hash = createHash('sha256');
  const check = new HnswFileCheck();
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    check.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex'), complete: check.complete() };
}
