/**
 * Builds one sealed segment: an HNSW graph of the given labels, written to a temp file, fsynced,
 * checked complete (hnswlib does not check its writes: a full disk shows up only as a short
 * file), hashed, and renamed into place. Runs inside a worker thread (segment-worker.ts); the
 * vectors come with the job (a seal of the tail) or are read from SQLite (merges, rebuilds).
 *
 * A merge starts from its largest source's graph (`base`) and inserts only the other sources'
 * vectors: HNSW insertion is the whole cost of a build, so this saves the base's share of it.
 * The base's tombstones stay in the new file as hnswlib deletions (purges rebuild from scratch).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { EngineError, fromFsError } from '../errors.ts';
import { HnswIndex } from '../vector/hnsw-index.ts';
import { openDatabase } from './database.ts';
import { fsyncPath, fullDigest, quickHash, writeLabelList } from './segment-files.ts';
import { labelsFileName } from './segment-manifest.ts';
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
  /** Start from this sealed segment's graph instead of an empty one (merges). */
  readonly base?: BaseSegment;
  /** For messages. */
  readonly what: string;
}

export interface BaseSegment {
  readonly file: string;
  /** Its cheap check as the manifest records it: a file that changed since is not built on. */
  readonly bytes: number;
  readonly quick: string;
  /** Its tombstones: marked deleted in the new graph. */
  readonly deleted: readonly number[];
}

export interface BuiltSegment {
  /** Every label in the file, live or deleted, ascending: the label list beside it. */
  readonly allLabels: Uint32Array;
  /** sha256 of the label list file. */
  readonly labelsSha256: string;
  /** Labels added to the graph (a label without a live vector in SQLite is left out). */
  readonly labels: Int32Array;
  /** Slots in the file, live or deleted (the base's slots plus the added labels). */
  readonly slots: number;
  /** Labels the file carries marked deleted (the base's tombstones not re-added). */
  readonly deleted: Int32Array;
  readonly bytes: number;
  readonly quick: string;
  readonly sha256: string;
}

export async function buildSegment(job: BuildJob): Promise<BuiltSegment> {
  const index = job.base
    ? await loadBase(job.base, job.dim, job.labels.length)
    : HnswIndex.create({
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
  const suffix = `.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = `${job.file}${suffix}`;
  const labelsFile = labelsFileName(job.file);
  try {
    // The label list first: a segment file in place always has its list beside it.
    const allLabels = index.allLabels();
    const labelsSha256 = await writeLabelList(labelsFile, allLabels, suffix);
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
    return {
      allLabels,
      labelsSha256,
      labels: Int32Array.from(added),
      slots: index.slots,
      deleted: Int32Array.from(index.deletedLabels()),
      bytes,
      quick,
      sha256,
    };
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    await fs.rm(labelsFile, { force: true }).catch(() => undefined);
    if (error instanceof EngineError) throw error;
    throw fromFsError(error, `cannot save the ${job.what} HNSW graph segment in ${path.dirname(job.file)}`);
  }
}

/** The base graph of a merge, with its tombstones marked and room for `extra` more vectors. */
async function loadBase(base: BaseSegment, dim: number, extra: number): Promise<HnswIndex> {
  const { bytes, quick } = quickHash(base.file);
  if (bytes !== base.bytes || quick !== base.quick) {
    throw new EngineError(
      'INDEX_CORRUPT',
      `segment ${path.basename(base.file)} changed on disk; not merging into it`,
    );
  }
  const index = await HnswIndex.load(base.file, dim, base.deleted);
  index.reserve(index.slots + extra);
  return index;
}
