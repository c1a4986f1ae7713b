/**
 * Decides which relative paths discovery visits. Hidden entries (and macOS AppleDouble files)
 * are skipped unless asked for; well-known junk folders (node_modules, .git, Synology's @eaDir,
 * trash) are always skipped, because they pollute results (rclip #303) and can hold thousands
 * of thumbnails.
 */
import picomatch from 'picomatch';

export interface PathFilterOptions {
  /** Globs matched against the '/'-separated path relative to the folder; empty = everything. */
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** Visit dot-files and dot-folders too. */
  readonly includeHidden?: boolean;
}

const SKIPPED_DIRS = new Set([
  'node_modules',
  '.git',
  '@eaDir',
  '.svn',
  '.hg',
  '$RECYCLE.BIN',
  'System Volume Information',
  '.Trash',
]);

export interface PathFilter {
  /** Whether to descend into a directory (relative path, its name). */
  enterDirectory(relPath: string, name: string): boolean;
  /** Whether a file is wanted. */
  acceptFile(relPath: string, name: string): boolean;
}

export function createPathFilter(options: PathFilterOptions = {}): PathFilter {
  const globOptions = { dot: true, nocase: true };
  const include = options.include?.length ? picomatch([...options.include], globOptions) : undefined;
  // Users write `--exclude raw` or `--exclude 'raw/**'`; both should prune the folder.
  const exclude = options.exclude?.length ? picomatch([...options.exclude], globOptions) : undefined;
  const hidden = (name: string): boolean => name.startsWith('.') || name.startsWith('._');

  return {
    enterDirectory(relPath, name) {
      if (SKIPPED_DIRS.has(name)) return false;
      if (!options.includeHidden && hidden(name)) return false;
      if (exclude && (exclude(relPath) || exclude(`${relPath}/`) || exclude(name))) return false;
      return true;
    },
    acceptFile(relPath, name) {
      if (!options.includeHidden && hidden(name)) return false;
      if (exclude && (exclude(relPath) || exclude(name))) return false;
      if (include && !include(relPath) && !include(name)) return false;
      return true;
    },
  };
}
