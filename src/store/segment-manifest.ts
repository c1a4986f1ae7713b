/**
 * `segments/manifest.json`: which sealed segment files make up each modality's vector index,
 * the labels each holds as deleted (tombstones), and `mark`, the vector sequence number up to
 * which the segments are complete. Opening replays only SQLite rows with seq > mark.
 *
 * The manifest is the commit point of every seal, merge and purge: segment files are written
 * (temp, fsync, rename) before the manifest names them, and removed only after a manifest that
 * no longer names them is durable. A crash at any step leaves the previous manifest valid; files
 * it does not name are leftovers the next writer removes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ItemKind } from './library.types.ts';
import { writeFileAtomic } from './segment-files.ts';

export const SEGMENTS_DIR = 'segments';
const MANIFEST_FILE = 'manifest.json';

export interface SegmentIdentity {
  readonly libraryId: string;
  readonly modelId: string;
  readonly dim: number;
}

export interface SegmentEntry {
  readonly id: number;
  readonly kind: ItemKind;
  /** File name inside segments/. */
  readonly file: string;
  /** Labels in the graph, deleted or not. */
  readonly count: number;
  readonly bytes: number;
  /** Cheap check: see quickHash(). */
  readonly quick: string;
  /** Full check: sha256 of the whole file (library verify). */
  readonly sha256: string;
  /** Labels whose copy in this segment is stale (deleted, or re-embedded elsewhere). */
  readonly deleted: readonly number[];
  /**
   * sha256 of the segment's label list (`labelsFileName`), when it has one: every label in the
   * graph, ascending, as little-endian uint32. Opening reads it instead of asking the graph.
   */
  readonly labels?: string;
}

/** A problem opening met and repaired, kept so `library info` can show it later. */
export interface SegmentWarning {
  readonly at: number;
  readonly kind: ItemKind;
  readonly message: string;
}

export interface Manifest extends SegmentIdentity {
  readonly format: 2;
  readonly mark: number;
  readonly nextId: number;
  readonly segments: readonly SegmentEntry[];
  readonly warnings: readonly SegmentWarning[];
  readonly savedAt: number;
}

export function segmentsDir(libraryDir: string): string {
  return path.join(libraryDir, SEGMENTS_DIR);
}

export function manifestPath(libraryDir: string): string {
  return path.join(segmentsDir(libraryDir), MANIFEST_FILE);
}

export type ManifestRead =
  | { readonly ok: true; readonly manifest: Manifest; readonly stamp: string }
  | { readonly ok: false; readonly reason: string; readonly missing: boolean };

/** A stamp that changes whenever the writer replaces the manifest (rename gives a new inode). */
export function manifestStamp(libraryDir: string): string | undefined {
  try {
    const st = fs.statSync(manifestPath(libraryDir));
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

export function readManifest(libraryDir: string, identity: SegmentIdentity): ManifestRead {
  const file = manifestPath(libraryDir);
  let text: string;
  let stamp: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const st = fs.fstatSync(fd);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      ok: false,
      missing,
      reason: missing ? 'no segment manifest' : `unreadable segment manifest (${String(error)})`,
    };
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    return { ok: false, missing: false, reason: 'segment manifest is not valid JSON' };
  }
  if (manifest.format !== 2 || !Array.isArray(manifest.segments) || typeof manifest.mark !== 'number') {
    return { ok: false, missing: false, reason: 'unknown segment manifest format' };
  }
  if (manifest.libraryId !== identity.libraryId) {
    return { ok: false, missing: false, reason: 'segment manifest belongs to another library' };
  }
  if (manifest.modelId !== identity.modelId || manifest.dim !== identity.dim) {
    return { ok: false, missing: false, reason: 'segments were built with another model' };
  }
  return { ok: true, manifest: { ...manifest, warnings: manifest.warnings ?? [] }, stamp };
}

export async function writeManifest(libraryDir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(manifestPath(libraryDir), JSON.stringify(manifest), segmentsDir(libraryDir));
}

export function segmentFileName(kind: ItemKind, id: number): string {
  return `${kind}-${String(id).padStart(6, '0')}.hnsw`;
}

/** The label list written beside a segment file (a path or a name). */
export function labelsFileName(segmentFile: string): string {
  return segmentFile.replace(/\.hnsw$/, '.labels');
}
