/**
 * Child process for the kill -9 test: writes batches forever — new items, an update of an
 * earlier item's vector and a deletion every batch — checkpointing every third batch, and
 * prints "committed <batch>" after each commit. The parent kills it with SIGKILL mid-way.
 * Usage: node --import tsx write-loop.child.ts <library dir> <batch size>
 */
import path from 'node:path';
import { openLibrary } from '../../../../src/store/open-library.ts';
import { fingerprint, imageWrite, unitVector } from '../store-test-context.ts';

const dir = process.argv[2]!;
const size = Number(process.argv[3] ?? 50);
const library = await openLibrary(dir, { fingerprint: fingerprint() });
const rootId = library.ensureRoot(path.join(dir, 'media')).id;
for (let batch = 0; ; batch++) {
  const items = Array.from({ length: size }, (_, i) => imageWrite(rootId, batch * size + i));
  // Batch b > 0 also re-embeds item n = b (new vector seed 100000 + b) and deletes item id b.
  if (batch > 0) items.push(imageWrite(rootId, batch, { vector: unitVector(100_000 + batch) }));
  library.write({ items, ...(batch > 0 ? { deletions: [batch] } : {}) });
  process.stdout.write(`committed ${batch}\n`);
  if (batch % 3 === 2) await library.checkpoint();
}
