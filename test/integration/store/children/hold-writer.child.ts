/**
 * Child process for the locking tests: opens a library as its writer, writes 10 items, prints
 * "ready <pid>", then writes 10 more each time a line arrives on stdin ("wrote <total>").
 * Usage: node --import tsx hold-writer.child.ts <library dir>
 */
import path from 'node:path';
import readline from 'node:readline';
import { openLibrary } from '../../../../src/store/open-library.ts';
import { fingerprint, imageWrite } from '../store-test-context.ts';

const dir = process.argv[2]!;
const library = await openLibrary(dir, { fingerprint: fingerprint() });
const rootId = library.ensureRoot(path.join(dir, 'media')).id;
let written = 0;
const writeTen = (): void => {
  library.write({ items: Array.from({ length: 10 }, (_, i) => imageWrite(rootId, written + i)) });
  written += 10;
};
writeTen();
process.stdout.write(`ready ${process.pid}\n`);
for await (const _line of readline.createInterface({ input: process.stdin })) {
  writeTen();
  process.stdout.write(`wrote ${written}\n`);
}
await library.close();
