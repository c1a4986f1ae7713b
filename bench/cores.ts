/**
 * bench/cores: are this machine's CPUs real cores? Times the vision tower with 1 ONNX thread and
 * with every available CPU, interleaved round by round (so load from elsewhere hits both alike),
 * and prints the speed-up. Two real cores give close to 2×; two hyperthreads of one core, or a
 * VM whose vCPUs share one core, give ~1.0–1.3×.
 *
 *   npx tsx bench/cores.ts [--model <dir>] [--batch 4] [--rounds 7]
 *
 * Default model: the ViT-B/32-shaped graph (bench/.data/vit-b32, from bench/make-vit-b32.py), whose
 * vision tower is big enough that thread start-up costs do not hide the scaling; else the bundled one.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { availableCpus } from '../src/encoders/cpu-topology.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { loadModel } from '../src/model/load-model.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    batch: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '7' },
  },
});
const vit = path.join(import.meta.dirname, '.data', 'vit-b32');
const dir = path.resolve(
  values.model ?? (existsSync(path.join(vit, 'onnx', 'vision_model.onnx')) ? vit : bundledModelDir()),
);
const batch = Number(values.batch);
const rounds = Number(values.rounds);
const cpus = availableCpus();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `bench/cores: ${cpus} CPU(s) available, ${os.cpus().length} logical (${os.cpus()[0]?.model ?? '?'}); load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${dir}`,
);
const counts = [...new Set([1, cpus])];
const models = await Promise.all(counts.map((threads) => loadModel(dir, { threads })));
try {
  const { height, width } = models[0]!.preprocessor.spec;
  const pixels = Array.from({ length: batch }, (_, b) =>
    Float32Array.from({ length: 3 * height * width }, (_, i) => Math.sin(i * 0.001 + b)),
  );
  for (const m of models) await m.image.encodeBatch(pixels); // warm-up
  const times = counts.map((): number[] => []);
  const cpu = counts.map((): number[] => []);
  for (let r = 0; r < rounds; r += 1) {
    for (const [i, m] of models.entries()) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      await m.image.encodeBatch(pixels);
      const ms = performance.now() - t;
      const used = process.cpuUsage(c0);
      times[i]!.push(ms);
      cpu[i]!.push((used.user + used.system) / 1000 / ms);
    }
  }
  for (const [i, threads] of counts.entries()) {
    console.log(
      `  ${threads} thread(s): ${((batch * 1000) / median(times[i]!)).toFixed(2)} images/s (median of ${rounds}, batch ${batch}), ${median(cpu[i]!).toFixed(2)} CPUs busy`,
    );
  }
  if (counts.length > 1) {
    const pairs = times[0]!.map((t1, r) => t1 / times[1]![r]!);
    console.log(
      `  speed-up ${cpus} threads / 1 thread: ${median(pairs).toFixed(2)}× (median of paired rounds; min ${Math.min(...pairs).toFixed(2)}, max ${Math.max(...pairs).toFixed(2)})`,
    );
  }
} finally {
  await Promise.all(models.map((m) => m.close()));
}
