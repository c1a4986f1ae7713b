/**
 * Checksums the hub publishes for a file: sha256 of the bytes for LFS files, the git blob id
 * (sha1 over `blob <size>\0` + bytes) for files kept in git. Read back from disk, so a file
 * resumed across several connections is checked as a whole.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigests {
  readonly sha256: string;
  readonly gitOid: string;
  readonly size: number;
}

export async function digestFile(filePath: string, size: number): Promise<FileDigests> {
  const sha256 = createHash('sha256');
  const git = createHash('sha1').update(`blob ${size}\0`);
  let read = 0;
  for await (const chunk of createReadStream(filePath)) {
    const bytes = chunk as Buffer;
    sha256.update(bytes);
    git.update(bytes);
    read += bytes.length;
  }
  return { sha256: sha256.digest('hex'), gitOid: git.digest('hex'), size: read };
}
