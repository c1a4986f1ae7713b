/**
 * Builds one sealed segment: an HNSW graph of the given labels, written to a temp file, fsynced,
 * checked complete (hnswlib does not check its writes: a full disk shows up only as a short
 * file), hashed, and renamed into place. Runs inside a worker thread (segment-worker.ts); the
 * vectors come with the job (a seal of the tail) or are read from SQLite (merges, rebuilds).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { EngineError, fromFsError } from '../errors.ts';
import { HnswIndex } from '../vector/hnsw-index.ts';
import { openDatabase } from './database.ts';
import { fsyncPath, fullDigest, quickHash } from './segment-files.ts';
import { VectorRepository } from './vector.repository.ts';

export interface BuildJob {
  readonly file: string;
  readonly dim: number;
  readonly m: number;
  readonly efConstruction: number;
  readonly labels: Int32Array;
  /** Row-aligned with labels; when absent the live vectors are read from `dbFile`. */
  readonly vectors?: Float32Array;
  readonly dbFile?: string;
  /** For messages. */
  readonly what: string;
}

export interface BuiltSegment {
  /** Labels actually in the graph (a label without a live vector in SQLite is left out). */
  readonly labels: Int32Array;
  readonly bytes: number;
  readonly quick: string;
  readonly sha256: string;
}

export async function buildSegment(job: BuildJob): Promise<BuiltSegment> {
  const index = HnswIndex.create({
    dim: job.dim,
    m: job.m,
    efConstruction: job.efConstruction,
    capacity: job.labels.length,
  });
  const added: number[] = [];
  if (job.vectors) {
    for (let i = 0; i < job.labels.length; i++) {
      index.add(job.labels[i]!, job.vectors.subarray(i * job.dim, (i + 1) * job.dim));
      added.push(job.labels[i]!);
    }
  } else {
    if (!job.dbFile) throw new EngineError('INTERNAL', 'a segment build needs vectors or a database');
    const db = openDatabase(job.dbFile, { readOnly: true, create: false });
    try {
      const repo = new VectorRepository(db);
      const ids = Array.from(job.labels);
      for (let i = 0; i < ids.length; i += 5000) {
        const found = repo.getLive(ids.slice(i, i + 5000));
        for (const id of ids.slice(i, i + 5000)) {
          const vector = found.get(id);
          if (!vector) continue;
          index.add(id, vector);
          added.push(id);
        }
      }
    } finally {
      db.close();
    }
  }
  const tmp = `${job.file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await index.save(tmp);
    await fsyncPath(tmp);
    const { sha256, complete } = await fullDigest(tmp);
    if (!complete) {
      throw new EngineError(
        'IO_ERROR',
        `cannot save the ${job.what} HNSW graph segment: the file was written incompletely (is the disk full?)`,
      );
    }
    const { bytes, quick } = quickHash(tmp);
    await fs.rename(tmp, job.file);
    await fsyncPath(path.dirname(job.file));
    return { labels: Int32Array.from(added), bytes, quick, sha256 };
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    if (error instanceof EngineError) throw error;
    throw fromFsError(error, `cannot save the ${job.what} HNSW graph segment in ${path.dirname(job.file)}`);
  }
}
