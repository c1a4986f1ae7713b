/**
 * bench/memory-bound: is a short text query's 2-thread speed-up capped by memory bandwidth?
 *
 * A ViT-B/32-shaped text query of ~6-8 tokens multiplies every transformer weight (151 MB fp32)
 * by only a few rows, so each query streams all weights once. This bench times, each
 * configuration in its own process (ORT's idle-spinning workers distort sessions that share a
 * process), with 1 and with every available ONNX thread:
 *
 * 1. `weights`: a MatMul chain with the text tower's exact weight shapes (12 × 512×1536, 512×512,
 *    512×2048, 2048×512; 151 MB), at M = `--rows` (a short query; skinny, bandwidth-bound) and
 *    M = `--fat-rows` (compute-bound control). Written by bench/onnx-graph.ts into bench/.data.
 * 2. `read`: ORT ReduceSum over a float input of the same 151 MB: what ORT itself streams from
 *    memory per thread count, no arithmetic to speak of (the ceiling for 1.).
 * 3. `--tower`: the real text tower (bench/.data/vit-b32, from bench/make-vit-b32.py) on a
 *    `--tokens`-token query with ORT session knobs that could change the 2-thread scaling:
 *    spinning off, dynamic_block_base 1 and 4, pinned intra-op threads (`--knobs`).
 * 4. `--fused`: the same weights as a tower of ONNX Runtime's fused contrib ops (Attention,
 *    SkipLayerNormalization, BiasGelu; 84 kernels against the exported tower's 505): does a
 *    graph with few kernels scale like the bare MatMul chain?
 *
 * Rounds rotate the order of configurations, so a round's ratios are paired in time; printed are
 * per-configuration medians of per-round p50s, the median of per-round ratios against 1 thread,
 * GB/s of weights streamed, and the child's CPU-seconds ÷ wall.
 *
 *   npx tsx bench/memory-bound.ts [--rounds 5] [--rows 8] [--fat-rows 256] [--runs 40]
 *                                 [--tower [--knobs]] [--fused] [--tokens 6] [--only <substring,...>]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { availableCpus } from '../src/encoders/cpu-topology.ts';
import { OnnxSession, type FeedTensor } from '../src/encoders/onnx-session.ts';
import { encodeModel, FLOAT, type GraphNode, type Initializer } from './onnx-graph.ts';

const DATA = path.join(import.meta.dirname, '.data', 'memory-bound');
const VIT_TEXT = path.join(import.meta.dirname, '.data', 'vit-b32', 'onnx', 'text_model.onnx');
const WIDTH = 512;
const LAYERS = 12;
/** Per layer: qkv, attention out, MLP up, MLP down: the ViT-B/32 text tower's Linear weights. */
const SHAPES: readonly (readonly [number, number])[] = [
  [WIDTH, 3 * WIDTH],
  [WIDTH, WIDTH],
  [WIDTH, 4 * WIDTH],
  [4 * WIDTH, WIDTH],
];
const WEIGHT_BYTES = LAYERS * SHAPES.reduce((sum, [k, n]) => sum + k * n * 4, 0);

interface ChildSpec {
  readonly label: string;
  readonly file: string;
  readonly threads: number;
  readonly config?: Record<string, string>;
  readonly feed: 'rows' | 'rows3d' | 'read' | 'tokens';
  readonly size: number;
  readonly runs: number;
}

interface ChildResult {
  readonly p50: number;
  readonly cpuPerWall: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---- child: one session, one configuration --------------------------------------------------

async function child(spec: ChildSpec): Promise<ChildResult> {
  const session = await OnnxSession.open(spec.file, {
    device: 'cpu',
    threads: spec.threads,
    ...(spec.config ? { config: spec.config } : {}),
  });
  const feeds: Record<string, FeedTensor> = {};
  if (spec.feed === 'rows' || spec.feed === 'rows3d') {
    const data = new Float32Array(spec.size * WIDTH).map((_, i) => Math.sin(i) * 0.5);
    const dims = spec.feed === 'rows' ? [spec.size, WIDTH] : [1, spec.size, WIDTH];
    feeds.x = { type: 'float32', data, dims };
  } else if (spec.feed === 'read') {
    feeds.x = { type: 'float32', data: new Float32Array(WEIGHT_BYTES / 4).fill(1), dims: [WEIGHT_BYTES / 4] };
  } else {
    // input_ids [1, L]: start, plain word ids, end (EOT 49407, where the tower pools).
    const ids = BigInt64Array.from({ length: spec.size }, (_, i) =>
      BigInt(i === 0 ? 49406 : i === spec.size - 1 ? 49407 : 320 + 37 * i),
    );
    for (const input of session.inputs) {
      const data = input.name.includes('mask') ? new BigInt64Array(spec.size).fill(1n) : ids;
      feeds[input.name] =
        input.type === 'int32'
          ? { type: 'int32', data: Int32Array.from(data, Number), dims: [1, spec.size] }
          : { type: 'int64', data, dims: [1, spec.size] };
    }
  }
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < spec.runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  await session.close();
  return { p50: median(times), cpuPerWall: (cpu.user + cpu.system) / 1000 / wall };
}

// ---- graphs ---------------------------------------------------------------------------------

function randomSource(): () => number {
  let seed = 0x9e3779b9;
  return (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32 - 0.5;
  };
}

/**
 * The same 151 MB of weights as a transformer tower in ONNX Runtime's fused contrib ops: per layer
 * Attention (qkv projection + bias + causal attention, 8 heads), MatMul, SkipLayerNormalization,
 * MatMul, BiasGelu, MatMul, SkipLayerNormalization: 7 kernels a layer, 84 in all, against the
 * exported tower's 505. Same arithmetic shape as the real tower; not the same model (post-LN).
 */
function fusedGraph(file: string): void {
  const random = randomSource();
  const initializers: Initializer[] = [];
  const add = (name: string, dims: number[], scale: number, offset = 0): string => {
    const n = dims.reduce((a, b) => a * b, 1);
    initializers.push({ name, dims, data: new Float32Array(n).map(() => offset + random() * scale) });
    return name;
  };
  const nodes: GraphNode[] = [];
  const ms = 'com.microsoft';
  let x = 'x';
  for (let layer = 0; layer < LAYERS; layer++) {
    const t = (s: string): string => `l${layer}_${s}`;
    const w = SHAPES.map(([k, n], j) => add(t(`w${j}`), [k, n], 2 * Math.sqrt(1 / k)));
    const bias = SHAPES.map(([, n], j) => add(t(`b${j}`), [n], 0.02));
    const ln = [0, 1].map((j) => [add(t(`g${j}`), [WIDTH], 0.02, 1), add(t(`beta${j}`), [WIDTH], 0.02)]);
    const out = layer === LAYERS - 1 ? 'y' : t('out');
    nodes.push(
      {
        op: 'Attention',
        domain: ms,
        inputs: [x, w[0]!, bias[0]!],
        outputs: [t('att')],
        ints: { num_heads: 8, unidirectional: 1 },
      },
      { op: 'MatMul', inputs: [t('att'), w[1]!], outputs: [t('proj')] },
      {
        op: 'SkipLayerNormalization',
        domain: ms,
        inputs: [t('proj'), x, ln[0]![0]!, ln[0]![1]!, bias[1]!],
        outputs: [t('h')],
      },
      { op: 'MatMul', inputs: [t('h'), w[2]!], outputs: [t('up')] },
      { op: 'BiasGelu', domain: ms, inputs: [t('up'), bias[2]!], outputs: [t('act')] },
      { op: 'MatMul', inputs: [t('act'), w[3]!], outputs: [t('down')] },
      {
        op: 'SkipLayerNormalization',
        domain: ms,
        inputs: [t('down'), t('h'), ln[1]![0]!, ln[1]![1]!, bias[3]!],
        outputs: [out],
      },
    );
    x = out;
  }
  writeFileSync(
    file,
    encodeModel({
      name: 'fused-tower',
      nodes,
      initializers,
      inputs: [{ name: 'x', type: FLOAT, dims: ['batch', 'rows', WIDTH] }],
      outputs: [{ name: 'y', type: FLOAT, dims: ['batch', 'rows', WIDTH] }],
      domains: { [ms]: 1 },
    }),
  );
}

function weightsGraph(file: string): void {
  const random = randomSource();
  const initializers: Initializer[] = [
    { name: 'qkv_shape', dims: [3], data: BigInt64Array.from([-1n, 3n, BigInt(WIDTH)]) },
    { name: 'qkv_axes', dims: [1], data: BigInt64Array.from([1n]) },
  ];
  const nodes: GraphNode[] = [];
  let x = 'x';
  for (let layer = 0; layer < LAYERS; layer++) {
    const w = SHAPES.map(([k, n], j) => {
      // Uniform with variance 1/(3k): activations stay O(1) through the chain (no inf/denormals).
      const data = new Float32Array(k * n).map(() => random() * 2 * Math.sqrt(1 / k));
      const name = `w${layer}_${j}`;
      initializers.push({ name, dims: [k, n], data });
      return name;
    });
    const t = (s: string): string => `l${layer}_${s}`;
    // qkv [M,1536] → [M,3,512] summed over the 3 (stands in for attention) → out → MLP up → down.
    nodes.push(
      { op: 'MatMul', inputs: [x, w[0]!], outputs: [t('qkv')] },
      { op: 'Reshape', inputs: [t('qkv'), 'qkv_shape'], outputs: [t('qkv3')] },
      { op: 'ReduceSum', inputs: [t('qkv3'), 'qkv_axes'], outputs: [t('att')], ints: { keepdims: 0 } },
      { op: 'MatMul', inputs: [t('att'), w[1]!], outputs: [t('proj')] },
      { op: 'MatMul', inputs: [t('proj'), w[2]!], outputs: [t('up')] },
      { op: 'MatMul', inputs: [t('up'), w[3]!], outputs: [layer === LAYERS - 1 ? 'y' : t('down')] },
    );
    x = t('down');
  }
  writeFileSync(
    file,
    encodeModel({
      name: 'text-tower-weights',
      nodes,
      initializers,
      inputs: [{ name: 'x', type: FLOAT, dims: ['rows', WIDTH] }],
      outputs: [{ name: 'y', type: FLOAT, dims: ['rows', WIDTH] }],
    }),
  );
}

function readGraph(file: string): void {
  writeFileSync(
    file,
    encodeModel({
      name: 'read',
      nodes: [{ op: 'ReduceSum', inputs: ['x'], outputs: ['y'], ints: { keepdims: 0 } }],
      initializers: [],
      inputs: [{ name: 'x', type: FLOAT, dims: ['n'] }],
      outputs: [{ name: 'y', type: FLOAT, dims: [] }],
    }),
  );
}

// ---- parent ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      rounds: { type: 'string', default: '5' },
      rows: { type: 'string', default: '8' },
      'fat-rows': { type: 'string', default: '256' },
      runs: { type: 'string', default: '40' },
      tower: { type: 'boolean', default: false },
      knobs: { type: 'boolean', default: false },
      fused: { type: 'boolean', default: false },
      tokens: { type: 'string', default: '6' },
      only: { type: 'string' },
    },
  });
  if (values.child) {
    const result = await child(JSON.parse(values.child) as ChildSpec);
    console.log(`RESULT ${JSON.stringify(result)}`);
    return;
  }
  mkdirSync(DATA, { recursive: true });
  const weights = path.join(DATA, 'text-tower-weights-v1.onnx');
  const read = path.join(DATA, 'read-v1.onnx');
  if (!existsSync(weights)) weightsGraph(weights);
  if (!existsSync(read)) readGraph(read);
  const fused = path.join(DATA, 'fused-tower-v1.onnx');
  if (values.fused && !existsSync(fused)) fusedGraph(fused);

  const cpus = availableCpus();
  const rounds = Number(values.rounds);
  const runs = Number(values.runs);
  const rows = Number(values.rows);
  const fat = Number(values['fat-rows']);
  const tokens = Number(values.tokens);
  const fatRuns = Math.max(5, Math.round(runs / 8));

  // Groups: each has a 1-thread reference (first) and variants; ratios are against the reference.
  const groups: { name: string; bytes: number; specs: ChildSpec[] }[] = [
    {
      name: `weights, M = ${rows} (short query: skinny)`,
      bytes: WEIGHT_BYTES,
      specs: [1, cpus].map((threads) => ({
        label: `${threads} thread(s)`,
        file: weights,
        threads,
        feed: 'rows',
        size: rows,
        runs,
      })),
    },
    {
      name: `weights, M = ${fat} (control: compute-bound)`,
      bytes: WEIGHT_BYTES,
      specs: [1, cpus].map((threads) => ({
        label: `${threads} thread(s)`,
        file: weights,
        threads,
        feed: 'rows',
        size: fat,
        runs: fatRuns,
      })),
    },
    {
      name: 'read: ReduceSum over the same bytes (ORT streaming ceiling)',
      bytes: WEIGHT_BYTES,
      specs: [1, cpus].map((threads) => ({
        label: `${threads} thread(s)`,
        file: read,
        threads,
        feed: 'read',
        size: 0,
        runs,
      })),
    },
  ];
  if (values.tower) {
    if (!existsSync(VIT_TEXT)) {
      throw new Error(`${VIT_TEXT} missing: run /usr/bin/python3 bench/make-vit-b32.py`);
    }
    const knobs: [string, number, Record<string, string> | undefined][] = [
      ['1 thread', 1, undefined],
      [`${cpus} threads (default knobs)`, cpus, undefined],
    ];
    if (values.knobs) {
      knobs.push(
        [`${cpus} threads, spinning off`, cpus, { 'session.intra_op.allow_spinning': '0' }],
        [`${cpus} threads, dynamic_block_base 1`, cpus, { 'session.dynamic_block_base': '1' }],
        [`${cpus} threads, dynamic_block_base 4`, cpus, { 'session.dynamic_block_base': '4' }],
        // One entry per intra-op worker (the caller thread is the first of the N): pin it to CPU k+1.
        [
          `${cpus} threads, workers pinned`,
          cpus,
          {
            'session.intra_op_thread_affinities': Array.from({ length: cpus - 1 }, (_, k) => `${k + 2}`).join(
              ';',
            ),
          },
        ],
      );
    }
    groups.push({
      name: `ViT-B/32 text tower, ${tokens}-token query`,
      bytes: WEIGHT_BYTES,
      specs: knobs.map(([label, threads, config]) => ({
        label,
        file: VIT_TEXT,
        threads,
        ...(config ? { config } : {}),
        feed: 'tokens',
        size: tokens,
        runs,
      })),
    });
  }
  if (values.fused) {
    groups.push({
      name: `fused tower (ORT contrib ops, 84 kernels), ${tokens}-token query`,
      bytes: WEIGHT_BYTES,
      specs: [1, cpus].map((threads) => ({
        label: `${threads} thread(s)`,
        file: fused,
        threads,
        feed: 'rows3d',
        size: tokens,
        runs,
      })),
    });
  }
  const selected = values.only
    ? groups.filter((g) => values.only!.split(',').some((o) => g.name.includes(o)))
    : groups;

  console.log(
    `bench/memory-bound: ${cpus} CPU(s) available, ${os.cpus().length} logical (${os.cpus()[0]?.model ?? '?'}); ` +
      `load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(
          ' ',
        )}; weights ${(WEIGHT_BYTES / 1e6).toFixed(1)} MB fp32; ${rounds} rounds, each config in its own process`,
  );
  const results = selected.map((g) => g.specs.map(() => [] as ChildResult[]));
  for (let round = 0; round < rounds; round++) {
    // Rotate within each group so 1 thread is not always first (paired in time, order varied).
    for (const [gi, g] of selected.entries()) {
      const order = g.specs.map((_, si) => (si + round) % g.specs.length);
      for (const si of order) results[gi]![si]!.push(runChild(g.specs[si]!));
    }
  }
  for (const [gi, g] of selected.entries()) {
    console.log(`\n${g.name}`);
    const ref = results[gi]![0]!;
    for (const [si, spec] of g.specs.entries()) {
      const rs = results[gi]![si]!;
      const p50 = median(rs.map((r) => r.p50));
      const ratio = median(rs.map((r, k) => r.p50 / ref[k]!.p50));
      console.log(
        `  ${spec.label.padEnd(40)} p50 ${p50.toFixed(2).padStart(8)} ms  ${(g.bytes / 1e9 / (p50 / 1000))
          .toFixed(1)
          .padStart(5)} GB/s  ÷ 1 thread ${ratio.toFixed(2)} (rounds ${rs
          .map((r, k) => (r.p50 / ref[k]!.p50).toFixed(2))
          .join(' ')})  CPU-s/wall ${median(rs.map((r) => r.cpuPerWall)).toFixed(2)}`,
      );
    }
  }
  console.log(
    `\nload after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

function runChild(spec: ChildSpec): ChildResult {
  const out = spawnSync(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--child', JSON.stringify(spec)],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const line = /RESULT (.+)/.exec(out.stdout)?.[1];
  if (out.status !== 0 || !line) throw new Error(`child ${spec.label} failed: ${out.stderr || out.stdout}`);
  return JSON.parse(line) as ChildResult;
}

await main();
