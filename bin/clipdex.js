#!/usr/bin/env node
// Entry point for the `clipdex` command. The sources are TypeScript run through tsx's
// loader, so there is no build step to forget and no stale dist/ to debug.
import os from 'node:os';

// sharp decodes and file hashing run on libuv's pool, 4 threads by default; size it to the
// machine before anything touches the pool (it is created on first use, so only imports that
// follow this line see it). A user's own setting wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, os.availableParallelism()));

const { register } = await import('tsx/esm/api');
register();
await import('../cli/cli.ts');
