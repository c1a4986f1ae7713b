/**
 * How many CPUs this process may really use, and which machine it is on. No guessing about
 * hyperthreads or hypervisors: whether a second thread helps is measured (thread-calibration.ts).
 * This only bounds what is worth measuring: the CPUs in the process's affinity mask
 * (`taskset`, cpusets: `os.availableParallelism()`), lowered by a cgroup v2 CPU quota (containers).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine identity a thread calibration is valid for. */
export interface CpuSignature {
  /** CPU model string, e.g. "AMD EPYC 7B13". */
  readonly model: string;
  /** CPUs available to this process (affinity and quota applied). */
  readonly count: number;
}

/** cgroup v2 `cpu.max` → CPUs the quota allows (rounded up), or undefined when unlimited/absent. */
export function quotaCpus(cpuMax: string | undefined): number | undefined {
  const [quota, period] = (cpuMax ?? '').trim().split(/\s+/);
  if (!quota || quota === 'max' || !period) return undefined;
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return Math.max(1, Math.ceil(q / p));
}

function readCpuMax(): string | undefined {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return undefined;
  }
}

/** CPUs this process may run on at once: the affinity mask, lowered by a cgroup quota. At least 1. */
export function availableCpus(): number {
  const affinity = Math.max(1, os.availableParallelism());
  const quota = quotaCpus(readCpuMax());
  return quota === undefined ? affinity : Math.min(affinity, quota);
}

export function cpuSignature(): CpuSignature {
  const model = os.cpus()[0]?.model.trim() ?? 'unknown';
  return { model: model || 'unknown', count: availableCpus() };
}

/**
 * CPU time used so far by everything on the machine except this process, in milliseconds (all
 * CPUs summed; only differences mean anything). Tells a calibration whether it was timed on a
 * quiet machine: other processes' load slows a many-thread candidate more than a one-thread one.
 */
export function othersBusyMs(): number {
  const machine = os
    .cpus()
    .reduce((sum, cpu) => sum + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq, 0);
  const own = process.cpuUsage();
  return machine - (own.user + own.system) / 1000;
}
