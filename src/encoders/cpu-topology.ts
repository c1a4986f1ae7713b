/**
 * Counts physical CPU cores for the default ONNX Runtime thread count. Extra intra-op threads on
 * hyperthreads of the same core only add contention (measured in bench/encode.ts), so we want cores,
 * not logical CPUs. Reads Linux sysfs/procfs; elsewhere falls back to half the logical CPUs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Distinct (package, core) pairs from sysfs, or undefined when sysfs has no topology. */
function sysfsCores(): number | undefined {
  let cpus: string[];
  try {
    cpus = readdirSync('/sys/devices/system/cpu').filter((name) => /^cpu\d+$/.test(name));
  } catch {
    return undefined;
  }
  const cores = new Set<string>();
  for (const cpu of cpus) {
    const base = `/sys/devices/system/cpu/${cpu}/topology`;
    const core = readText(`${base}/core_id`)?.trim();
    const pkg = readText(`${base}/physical_package_id`)?.trim();
    if (core === undefined || pkg === undefined) return undefined;
    cores.add(`${pkg}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

/**
 * Physical cores available to this process. Cloud vCPUs are usually hyperthreads that a
 * hypervisor presents as separate single-thread cores, so under a hypervisor whose guest
 * topology shows one thread per core we count two vCPUs as one core.
 */
export function physicalCoreCount(): number {
  const logical = Math.max(1, os.availableParallelism());
  const cores = sysfsCores();
  if (cores === undefined) return Math.max(1, Math.floor(logical / 2));
  const underHypervisor = /\bhypervisor\b/.test(readText('/proc/cpuinfo') ?? '');
  const perCore = logical / cores;
  const physical = underHypervisor && perCore <= 1 ? Math.ceil(cores / 2) : cores;
  return Math.max(1, Math.min(physical, logical));
}
