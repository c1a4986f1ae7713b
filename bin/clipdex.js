#!/usr/bin/env node
// Entry point for the `clipdex` command. The sources are TypeScript run through tsx's
// loader, so there is no build step to forget and no stale dist/ to debug.
import { register } from 'tsx/esm/api';

register();
await import('../indexer/cli.ts');
