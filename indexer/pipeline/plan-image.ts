/**
 * Decides what one discovered image file needs, doing the least work that is safe:
 * unchanged (size + mtime) → nothing, not even a read; same bytes at the same place → new
 * mtime only; same bytes as a vanished file → a move; same bytes as another indexed file → its
 * vector reused; otherwise decode + preprocess for the encoder. Every failure becomes a
 * 'failed' item with a reason instead of an exception.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EngineError } from '../../src/errors.ts';
import { extractPhotoMetadata } from '../../src/metadata/extract-photo-metadata.ts';
import type { PhotoMetadata } from '../../src/metadata/photo-metadata.types.ts';
import type { Item } from '../../src/store/library.types.ts';
import type { IndexLibrary, IndexModel } from './index-deps.ts';
import type { ItemDraft, WorkUnit } from './work-unit.ts';
import { pathExists } from './path-exists.ts';

export interface ImageFile {
  readonly absPath: string;
  readonly rootId: number;
  readonly uri: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly error?: string;
}

export interface ImagePlanContext {
  readonly library: IndexLibrary;
  readonly preprocessor: IndexModel['preprocessor'];
  readonly retryFailed: boolean;
  readonly maxPixels: number;
  readonly maxFileBytes: number;
  /** Item ids already moved in this run (two new copies of one vanished file: move only one). */
  readonly claimed: Set<number>;
  /** Off-thread sha256 (the preprocess pool); default: on this thread. */
  readonly hash?: (bytes: Uint8Array) => Promise<string>;
  /** Embedded photo metadata (EXIF/XMP/IPTC/PNG text); default: src/metadata. Never throws. */
  readonly readMetadata?: (bytes: Uint8Array) => Promise<PhotoMetadata>;
  /** Told why a field of a file's metadata was left empty (truncated EXIF, bad date, …). */
  readonly onMetadataProblem?: (uri: string, problem: string) => void;
}

/** Returns null when the file needs nothing. */
export async function planImage(file: ImageFile, ctx: ImagePlanContext): Promise<WorkUnit | null> {
  const existing = ctx.library.findByUri(file.rootId, file.uri);
  const live = existing && existing.status !== 'deleted' ? existing : undefined;
  const retry = ctx.retryFailed && live?.status === 'failed';
  const unchanged =
    live && !retry && live.status !== 'pending' && live.size === file.size && live.mtimeMs === file.mtimeMs;
  if (unchanged && (!file.error || live.error === file.error)) {
    // Indexed before metadata was read (an older library): read it now, nothing else.
    if (live.status === 'indexed' && live.metadata?.photo === undefined) {
      return backfillMetadata(file, live, ctx);
    }
    return null;
  }

  const base: ItemDraft = {
    kind: 'image',
    rootId: file.rootId,
    uri: file.uri,
    size: file.size,
    mtimeMs: file.mtimeMs,
  };
  const fail = (error: string, extra: Partial<ItemDraft> = {}): WorkUnit => ({
    type: 'write',
    outcome: 'failed',
    write: { ...base, ...extra, status: 'failed', error },
  });
  if (file.error) return fail(file.error);
  if (file.size === 0) return fail('empty file (0 bytes)');
  if (file.size > ctx.maxFileBytes) {
    return fail(`file too large: ${file.size} bytes (limit ${ctx.maxFileBytes})`);
  }

  let bytes: Buffer;
  try {
    bytes = await readFile(file.absPath);
  } catch (error) {
    return fail(`unreadable: ${(error as Error).message}`);
  }
  const contentHash = ctx.hash ? await ctx.hash(bytes) : createHash('sha256').update(bytes).digest('hex');

  const readMetadata = (): Promise<{ readonly photo: PhotoMetadata }> => metadataFor(file.uri, bytes, ctx);
  if (live && !retry && live.contentHash === contentHash) {
    return {
      type: 'move',
      kind: 'image',
      outcome: 'touched',
      move: { id: live.id, rootId: file.rootId, uri: file.uri, mtimeMs: file.mtimeMs },
    };
  }
  const reuse = await reuseByHash(contentHash, existing, file, ctx, readMetadata);
  if (reuse) return reuse;

  try {
    const [image, metadata] = await Promise.all([
      ctx.preprocessor.preprocess(bytes, { maxPixels: ctx.maxPixels }),
      readMetadata(),
    ]);
    return {
      type: 'encode-image',
      draft: {
        ...base,
        contentHash,
        width: image.width,
        height: image.height,
        format: image.format,
        metadata,
        ...(image.phash === undefined ? {} : { phash: image.phash }),
        ...(image.fingerprint === undefined ? {} : { fingerprint: image.fingerprint }),
      },
      pixels: image.pixels,
    };
  } catch (error) {
    return fail(describeDecodeError(error), { contentHash });
  }
}

async function reuseByHash(
  hash: string,
  existing: Item | undefined,
  file: ImageFile,
  ctx: ImagePlanContext,
  readMetadata: () => Promise<{ readonly photo: PhotoMetadata }>,
): Promise<WorkUnit | null> {
  const candidates = ctx.library
    .findByHash('image', hash)
    .filter((c) => c.id !== existing?.id || c.status === 'deleted');
  if (!existing) {
    for (const c of candidates) {
      if (c.status !== 'indexed' || ctx.claimed.has(c.id)) continue;
      const oldPath = ctx.library.resolvePath(c);
      if (oldPath && !(await pathExists(oldPath))) {
        ctx.claimed.add(c.id);
        return {
          type: 'move',
          kind: 'image',
          outcome: 'moved',
          move: { id: c.id, rootId: file.rootId, uri: file.uri, mtimeMs: file.mtimeMs },
        };
      }
    }
  }
  for (const c of candidates) {
    const vector = ctx.library.getVector(c.id);
    if (!vector) continue;
    return {
      type: 'write',
      outcome: 'reused',
      write: {
        kind: 'image',
        rootId: file.rootId,
        uri: file.uri,
        size: file.size,
        mtimeMs: file.mtimeMs,
        contentHash: hash,
        width: c.width,
        height: c.height,
        format: c.format,
        status: 'indexed',
        vector,
        metadata:
          c.metadata?.photo !== undefined
            ? { photo: c.metadata.photo as PhotoMetadata }
            : await readMetadata(),
      },
    };
  }
  return null;
}

async function metadataFor(
  uri: string,
  bytes: Uint8Array,
  ctx: ImagePlanContext,
): Promise<{ readonly photo: PhotoMetadata }> {
  const photo = await (ctx.readMetadata ?? extractPhotoMetadata)(bytes);
  for (const problem of photo.problems) ctx.onMetadataProblem?.(uri, problem);
  return { photo };
}

/** A metadata-only rewrite of an unchanged, indexed item (its vector stays). */
async function backfillMetadata(
  file: ImageFile,
  live: Item,
  ctx: ImagePlanContext,
): Promise<WorkUnit | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file.absPath);
  } catch {
    return null; // unreadable now: leave the item as it is; a later run tries again
  }
  return {
    type: 'write',
    outcome: 'touched',
    write: {
      kind: 'image',
      rootId: file.rootId,
      uri: file.uri,
      size: file.size,
      mtimeMs: file.mtimeMs,
      contentHash: live.contentHash,
      width: live.width,
      height: live.height,
      format: live.format,
      status: 'indexed',
      metadata: { ...live.metadata, ...(await metadataFor(file.uri, bytes, ctx)) },
    },
  };
}

export function describeDecodeError(error: unknown): string {
  if (error instanceof EngineError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `cannot decode: ${message}`;
}
