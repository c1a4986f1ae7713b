// Builds clipdex's mapped-graph addon during `npm install` / `npm ci`, with the same node-gyp
// and compiler that hnswlib-node and better-sqlite3 use. Quiet on success (the README promises
// installs without warnings, and the compiler's notes on hnswlib's headers are not the user's
// business); on failure it prints node-gyp's whole log and fails the install.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// The addon maps files with POSIX mmap. On Windows clipdex opens segments with hnswlib-node's
// reader instead (src/vector/mapped-graph.ts reports the addon as unavailable), so there is
// nothing to build.
if (process.platform === 'win32') process.exit(0);
// npm hands its bundled node-gyp to lifecycle scripts; outside npm, one on PATH.
const gyp = process.env.npm_config_node_gyp;
const [command, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
const run = spawnSync(command, [...args, 'rebuild', `--directory=${here}`], {
  encoding: 'utf8',
  env: process.env,
  maxBuffer: 64 * 1024 * 1024,
});
if (run.status !== 0) {
  process.stderr.write(run.stdout ?? '');
  process.stderr.write(run.stderr ?? '');
  process.stderr.write(
    `\nclipdex: building native/hnsw-mapped failed (${run.error?.message ?? `exit ${run.status}`}).\n` +
      'It needs what hnswlib-node and better-sqlite3 need to build: a C++ compiler, make and python3.\n',
  );
  process.exit(1);
}
