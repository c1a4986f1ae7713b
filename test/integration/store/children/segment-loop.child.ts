/**
 * Child process for the segment crash tests: like write-loop.child.ts (new items, a re-embed and
 * a deletion every batch) but with a small merge factor, so seals and merges run all the time,
 * and it prints each seal/merge step ("event seal-start", …) as it happens. The parent kills it
 * with SIGKILL at a chosen step.
 * Usage: node --import tsx segment-loop.child.ts <library dir> <batch size>
 */
import path from 'node:path';
import { openLibrary } from '../../../../src/store/open-library.ts';
import { fingerprint, imageWrite, unitVector } from '../store-test-context.ts';

const dir = process.argv[2]!;
const size = Number(process.argv[3] ?? 600);
const library = await openLibrary(dir, {
  fingerprint: fingerprint(),
  hnsw: { m: 8, efConstruction: 40 },
  segments: { mergeFactor: 2, onEvent: (event) => process.stdout.write(`event ${event}\n`) },
});
const rootId = library.ensureRoot(path.join(dir, 'media')).id;
for (let batch = 0; ; batch++) {
  const items = Array.from({ length: size }, (_, i) => imageWrite(rootId, batch * size + i));
  if (batch > 0) items.push(imageWrite(rootId, batch, { vector: unitVector(100_000 + batch) }));
  library.write({ items, ...(batch > 0 ? { deletions: [batch] } : {}) });
  process.stdout.write(`committed ${batch}\n`);
  if (batch % 2 === 1) await library.checkpoint();
}
