/**
 * File-level helpers for sealed HNSW segments: fsync, atomic JSON writes, and the two integrity
 * checks. The cheap check (size plus a sha256 over sampled blocks) runs on every open and costs
 * a few reads whatever the file's size; the full check (sha256 of every byte plus a walk of
 * hnswlib's layout) runs when a segment is written and in `clipdex library verify`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import { HnswFileCheck } from '../vector/hnsw-file-check.ts';

const SAMPLE_BLOCK = 4096;
const SAMPLES = 16;
const EDGE_BYTES = 64 * 1024;

export async function fsyncPath(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `text` to `file` atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(file: string, text: string, dir: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await fs.writeFile(tmp, text);
    await fsyncPath(tmp);
    await fs.rename(tmp, file);
    await fsyncPath(dir);
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * sha256 over the file's size, its first and last 64 KiB and 16 evenly spaced 4 KiB blocks:
 * catches truncation, a file from another library and overwrites of the header or the end
 * without reading a 2 GB graph. Synchronous: a handful of small reads.
 */
export function quickHash(file: string): { bytes: number; quick: string } {
  const fd = fsSync.openSync(file, 'r');
  try {
    const bytes = fsSync.fstatSync(fd).size;
    const hash = createHash('sha256');
    hash.update(String(bytes));
    const read = (position: number, length: number): void => {
      const len = Math.max(0, Math.min(length, bytes - position));
      if (len === 0) return;
      const buffer = Buffer.alloc(len);
      fsSync.readSync(fd, buffer, 0, len, position);
      hash.update(buffer);
    };
    read(0, EDGE_BYTES);
    for (let i = 1; i <= SAMPLES; i++) read(Math.floor((bytes * i) / (SAMPLES + 1)), SAMPLE_BLOCK);
    read(Math.max(0, bytes - EDGE_BYTES), EDGE_BYTES);
    return { bytes, quick: hash.digest('hex') };
  } finally {
    fsSync.closeSync(fd);
  }
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes a segment's label list (uint32, this machine's byte order: little-endian everywhere
 * clipdex runs) to `file` via a temp file, fsynced and renamed; returns its sha256. The caller
 * fsyncs the directory before a manifest names it.
 */
export async function writeLabelList(file: string, labels: Uint32Array, suffix: string): Promise<string> {
  const bytes = Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength);
  const tmp = `${file}${suffix}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fsyncPath(tmp);
    const sha256 = sha256Of(bytes);
    await fs.rename(tmp, file);
    return sha256;
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** One full read: size, sha256 and whether hnswlib's layout ends exactly at the last byte. */
export async function fullDigest(
  file: string,
): Promise<{ bytes: number; sha256: string; complete: boolean }> {
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
