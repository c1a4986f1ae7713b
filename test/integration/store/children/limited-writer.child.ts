/**
 * Child process for the full-disk and read-only tests, which run it under limits an unprivileged
 * user can set: a tiny RLIMIT_FSIZE (`ulimit -f`, so writes past it fail with EFBIG or come up
 * short, as on a full disk) or another user's identity (a write-protected directory).
 * Prints one JSON line describing what happened.
 * Usage: node --import tsx limited-writer.child.ts <mode> <library dir> <dim>
 *   fill                   create the library and write batches of 20 until a write fails
 *   open-write-checkpoint  open as the writer, add item 9999, checkpoint (seals just that vector),
 *                          compact (rewrites every segment: the big write), close
 *   open-both              try the writer (expected to fail), then open read-only and search
 */
import { isEngineError } from '../../../../src/errors.ts';
import { openLibrary } from '../../../../src/store/open-library.ts';
import { fingerprint, imageWrite, unitVector } from '../store-test-context.ts';

const [mode, dir, dimArg] = process.argv.slice(2) as [string, string, string];
const dim = Number(dimArg);

function describe(error: unknown): { code: string; message: string } {
  return isEngineError(error)
    ? { code: error.code, message: error.message }
    : { code: 'NOT_ENGINE_ERROR', message: String(error) };
}

const report: Record<string, unknown> = { mode };
if (mode === 'fill') {
  const library = await openLibrary(dir, { fingerprint: fingerprint({ dim }) });
  const rootId = library.ensureRoot(dir).id;
  let committed = 0;
  try {
    for (;;) {
      library.write({
        items: Array.from({ length: 20 }, (_, i) =>
          imageWrite(rootId, committed + i, { vector: unitVector(committed + i, dim) }),
        ),
      });
      committed += 20;
    }
  } catch (error) {
    report.writeError = describe(error);
  }
  report.committed = committed;
  report.indexed = library.counts('image').indexed;
  report.top = library.search('image', unitVector(3, dim), { k: 1 })[0]?.id ?? null;
  report.checkpointError = await library.checkpoint().then(() => null, describe);
  report.closeError = await library.close().then(() => null, describe);
} else if (mode === 'open-write-checkpoint') {
  const writer = await openLibrary(dir, {});
  const rootId = writer.ensureRoot(dir).id;
  writer.write({ items: [imageWrite(rootId, 9999, { vector: unitVector(9999, dim) })] });
  report.indexed = writer.counts('image').indexed;
  report.checkpointError = await writer.checkpoint().then(() => null, describe);
  report.compactError = await writer.compact().then(() => null, describe);
  report.closeError = await writer.close().then(() => null, describe);
} else if (mode === 'open-both') {
  report.writerError = await openLibrary(dir, {}).then(async (writer) => {
    await writer.close();
    return null;
  }, describe);
  const reader = await openLibrary(dir, { readOnly: true });
  report.top = reader.search('image', unitVector(2, dim), { k: 1 })[0] ?? null;
  await reader.close();
}
process.stdout.write(`${JSON.stringify(report)}\n`);
