/**
 * Thread calibrations remembered per machine and per graph, so a tower is timed once, not at
 * every start: `<model cache>/.calibration/<cpu>-<graph>.json`. The key holds the CPU model,
 * the CPUs available to the process, the ONNX Runtime version and the graph file's sha256, and
 * the entry repeats them, so a new CPU, a `taskset`, an ORT upgrade or a changed model simply
 * misses and is measured afresh. A cache that cannot be read or written is no cache, never an error.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CpuSignature } from '../encoders/cpu-topology.ts';
import type { ThreadTrial } from '../encoders/thread-calibration.ts';

export interface CalibrationKey {
  readonly cpu: CpuSignature;
  readonly runtime: string;
  /** sha256 hex of the tower's graph file. */
  readonly graph: string;
}

export interface CalibrationEntry extends CalibrationKey {
  readonly format: 1;
  readonly threads: number;
  readonly trials: readonly ThreadTrial[];
  readonly measuredAt: string;
  /** CPUs other processes kept busy while it was timed, when known. */
  readonly otherCpus?: number;
}

/** The dot-folder keeps it out of `ModelCache.list()`, which skips hidden entries. */
export const CALIBRATION_DIR = '.calibration';

export class CalibrationCache {
  readonly dir: string;

  constructor(modelCacheDir: string) {
    this.dir = path.join(path.resolve(modelCacheDir), CALIBRATION_DIR);
  }

  fileFor(key: CalibrationKey): string {
    const machine = createHash('sha256')
      .update(JSON.stringify([key.cpu.model, key.cpu.count, key.runtime]))
      .digest('hex')
      .slice(0, 16);
    return path.join(this.dir, `${machine}-${key.graph.slice(0, 24)}.json`);
  }

  async read(key: CalibrationKey): Promise<CalibrationEntry | undefined> {
    let entry: Partial<CalibrationEntry>;
    try {
      entry = JSON.parse(await readFile(this.fileFor(key), 'utf8')) as Partial<CalibrationEntry>;
    } catch {
      return undefined;
    }
    const same =
      entry.format === 1 &&
      entry.cpu?.model === key.cpu.model &&
      entry.cpu.count === key.cpu.count &&
      entry.runtime === key.runtime &&
      entry.graph === key.graph &&
      Number.isInteger(entry.threads) &&
      entry.threads! >= 1 &&
      entry.threads! <= key.cpu.count;
    return same ? (entry as CalibrationEntry) : undefined;
  }

  async write(
    key: CalibrationKey,
    threads: number,
    trials: readonly ThreadTrial[],
    otherCpus?: number,
  ): Promise<void> {
    const entry: CalibrationEntry = {
      format: 1,
      ...key,
      threads,
      trials,
      measuredAt: new Date().toISOString(),
      ...(otherCpus === undefined ? {} : { otherCpus }),
    };
    const file = this.fileFor(key);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(tmp, JSON.stringify(entry, null, 2) + '\n');
      await rename(tmp, file);
    } catch {
      // Read-only or full cache: the next start measures again, which is only slower.
    }
  }
}
