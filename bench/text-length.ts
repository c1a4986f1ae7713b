/**
 * bench/text-length: what padding texts only to each run's longest text buys, and that it moves
 * no embedding. For the bundled model, and bench/.data/vit-b32 when it exists (bench/make-vit-b32.py):
 *
 * 1. Equality: cosine between the trimmed and the fully padded embedding (`textPadding: 'full'`,
 *    what clipdex did before trimming) of the reference tokenizer cases, CJK, long (truncated)
 *    texts and demo captions, one by one and in one mixed batch.
 * 2. Text-query encode p50, interleaved, over the demo captions: defaults (threads calibrated now,
 *    not read from a cache), 1 thread with the same trimmed code, and 1 thread fully padded, with
 *    both ratios (the issue's ≤ 0.6 goal is read against the first: same code, 1 thread).
 *    Then the same two (defaults, 1 thread trimmed) again with each configuration in its own
 *    process, `--rounds` times in rotating order (ratios paired by round). A process holds one
 *    model as a server does; in the interleaved loop, four sessions' ORT worker pools share the
 *    process and the idle workers of one spin on the core the next session needs (see
 *    bench/memory-bound.ts: the text tower alone scales 0.55-0.6 at 2 threads on a quiet machine).
 * 3. Caption batches of 64 at the default threads: texts/s fully padded against trimmed runs.
 *
 *   npx tsx bench/text-length.ts [--queries 300] [--batches 6] [--repeats 3] [--rounds 5] [--model <dir>]
 *
 * Prints the CPU count, the load average and the CPU this process got while timing queries.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { availableCpus } from '../src/encoders/cpu-topology.ts';
import { bundledModelDir } from '../src/model/bundled-model.ts';
import { loadModel } from '../src/model/load-model.ts';
import { cosine } from '../src/vector/vector-math.ts';

const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '300' },
    batches: { type: 'string', default: '6' },
    repeats: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    model: { type: 'string', multiple: true },
    child: { type: 'string' },
  },
});
const REPO = path.join(import.meta.dirname, '..');
const VIT = path.join(REPO, 'bench/.data/vit-b32');
const models = values.model ?? [bundledModelDir(), ...(existsSync(VIT) ? [VIT] : [])];

const captions = [
  ...new Set(
    readFileSync(path.join(REPO, 'fixtures/demo/captions.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => (JSON.parse(l) as { captions: string[] }).captions),
  ),
];
const reference = JSON.parse(
  readFileSync(path.join(REPO, 'fixtures/tokenizers/clip/reference-ids.json'), 'utf8'),
) as { cases: { text: string }[]; extra: { text: string }[] };
const equalityTexts = [
  ...reference.cases.map((c) => c.text),
  ...reference.extra.map((c) => c.text),
  '一只猫坐在草地上',
  '東京の夜景と赤い傘',
  '고양이 사진',
  Array.from({ length: 90 }, (_, i) => `word${i}`).join(' '),
  `a photo of ${'a very very '.repeat(40)}small cat`,
  ...captions.filter((_, i) => i % 17 === 0),
];

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** One configuration in its own process: p50 of the same query sequence as the interleaved loop. */
interface ChildSpec {
  readonly dir: string;
  readonly threads: number;
  readonly queries: number;
}

async function isolatedChild(spec: ChildSpec): Promise<void> {
  const model = await loadModel(spec.dir, { device: 'cpu', itm: false, threads: spec.threads });
  try {
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let i = 0; i < spec.queries + 20; i++) {
      const start = performance.now();
      await model.text.encodeOne(captions[(i * 7) % captions.length]!);
      if (i >= 20) times.push(performance.now() - start);
    }
    const cpu = process.cpuUsage(cpu0);
    const got = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
    console.log(`RESULT ${JSON.stringify({ p50: median(times), got })}`);
  } finally {
    await model.close();
  }
}

function runIsolated(spec: ChildSpec): { p50: number; got: number } {
  const out = spawnSync(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--child', JSON.stringify(spec)],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const line = /RESULT (.+)/.exec(out.stdout)?.[1];
  if (out.status !== 0 || !line) throw new Error(`isolated run failed: ${out.stderr || out.stdout}`);
  return JSON.parse(line) as { p50: number; got: number };
}

async function benchModel(dir: string): Promise<void> {
  const open = (extra: object) => loadModel(dir, { device: 'cpu', itm: false, ...extra });
  const defaults = await open({ calibration: {} });
  const one = await open({ threads: 1 });
  const onePadded = await open({ threads: 1, textPadding: 'full' });
  const defaultsPadded = await open({
    threads: defaults.details.threads.text.threads,
    textPadding: 'full',
  });
  try {
    const tokens = captions.map((c) => one.text.tokenCount(c)).sort((a, b) => a - b);
    const t = defaults.details.threads.text;
    console.log(
      `\n${path.basename(dir)}: ${availableCpus()} CPU(s) (${os.cpus()[0]?.model ?? '?'}); load ${load()}; ` +
        `padded length ${one.details.paddedLength}, trimmed: ${one.details.trimPadding}; ` +
        `demo-caption tokens p10/p50/p90 ${tokens[Math.floor(tokens.length * 0.1)]}/${median(tokens)}/${tokens[Math.floor(tokens.length * 0.9)]}`,
    );
    console.log(`text threads at defaults: ${t.threads} (${t.source}: ${t.reason})`);

    // 1. Equality, one by one and batched.
    let worst = 1;
    let worstText = '';
    for (const text of equalityTexts) {
      const c = cosine(await one.text.encodeOne(text), await onePadded.text.encodeOne(text));
      if (c < worst) [worst, worstText] = [c, text];
    }
    const batched = await one.text.encodeBatch(equalityTexts);
    const paddedBatch = await onePadded.text.encodeBatch(equalityTexts);
    const worstBatched = Math.min(...batched.map((v, i) => cosine(v, paddedBatch[i]!)));
    console.log(
      `equality over ${equalityTexts.length} texts (reference cases, CJK, 2 truncated long, captions): ` +
        `min cosine trimmed vs padded ${worst.toFixed(7)} one by one (${JSON.stringify(worstText.slice(0, 30))}), ` +
        `${worstBatched.toFixed(7)} batched (goal ≥ 0.99999)`,
    );

    // 2. Query p50, interleaved so load from elsewhere hits every configuration alike. Each
    // multi-thread session follows a 1-thread one: ORT's idle workers spin for a while after a
    // run, and one session's spinning worker would take the core the next session needs.
    const configs = [
      ['defaults', defaults],
      ['1 thread, trimmed', one],
      [`${t.threads} thread(s), padded`, defaultsPadded],
      ['1 thread, padded', onePadded],
    ] as const;
    const times = new Map<string, number[]>(configs.map(([name]) => [name, []]));
    const queries = Number(values.queries);
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let i = 0; i < queries + 20; i++) {
      for (const [name, model] of configs) {
        const start = performance.now();
        await model.text.encodeOne(captions[(i * 7) % captions.length]!);
        if (i >= 20) times.get(name)!.push(performance.now() - start);
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const got = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
    const p50 = new Map([...times].map(([name, xs]) => [name, median(xs)]));
    console.log(
      `text-query encode p50 over ${queries} demo captions (CPU this process got: ${got.toFixed(2)}; load ${load()}):`,
    );
    for (const [name, ms] of p50) console.log(`  ${name.padEnd(22)} ${ms.toFixed(3).padStart(8)} ms`);
    const d = p50.get('defaults')!;
    console.log(
      `  defaults ÷ 1 thread trimmed (same code): ${(d / p50.get('1 thread, trimmed')!).toFixed(2)}   ` +
        `defaults ÷ 1 thread padded (before trimming): ${(d / p50.get('1 thread, padded')!).toFixed(2)}   (goal ≤ 0.6)`,
    );

    // 2b. The same two readings, each configuration in its own process (one model per process, as
    // in `clipdex serve`), rounds in rotating order. Defaults = the thread count calibrated above.
    const isolated = [
      ['defaults', t.threads],
      ['1 thread, trimmed', 1],
    ] as const;
    const rounds = Number(values.rounds);
    const runs = isolated.map(() => [] as { p50: number; got: number }[]);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < isolated.length; k++) {
        const j = (k + round) % isolated.length;
        runs[j]!.push(runIsolated({ dir, threads: isolated[j]![1], queries }));
      }
    }
    console.log(
      `text-query encode p50, each configuration in its own process, ${rounds} rounds (load ${load()}):`,
    );
    for (const [j, [name, threads]] of isolated.entries()) {
      const rs = runs[j]!;
      console.log(
        `  ${`${name} (${threads})`.padEnd(22)} ${median(rs.map((r) => r.p50))
          .toFixed(3)
          .padStart(
            8,
          )} ms  (rounds ${rs.map((r) => r.p50.toFixed(2)).join(' ')}; CPU/wall ${rs.map((r) => r.got.toFixed(2)).join(' ')})`,
      );
    }
    const ratios = runs[0]!.map((r, k) => r.p50 / runs[1]![k]!.p50);
    console.log(
      `  defaults ÷ 1 thread trimmed, isolated: ${median(ratios).toFixed(2)} (rounds ${ratios
        .map((r) => r.toFixed(2))
        .join(' ')}; interleaved above: ${(d / p50.get('1 thread, trimmed')!).toFixed(2)})   (goal ≤ 0.6)`,
    );

    // 3. Caption batches of 64 at the default threads.
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const batches = Array.from({ length: Number(values.batches) }, () =>
      Array.from({ length: 64 }, () => captions[Math.floor(rnd() * captions.length)]!),
    );
    const batchTimes = { trimmed: [] as number[], padded: [] as number[] };
    await defaults.text.encodeBatch(batches[0]!);
    await defaultsPadded.text.encodeBatch(batches[0]!);
    for (let r = 0; r < Number(values.repeats); r++) {
      for (const batch of batches) {
        for (const [key, model] of [
          ['trimmed', defaults],
          ['padded', defaultsPadded],
        ] as const) {
          const start = performance.now();
          await model.text.encodeBatch(batch);
          batchTimes[key].push(performance.now() - start);
        }
      }
    }
    const rate = (xs: number[]) => 64_000 / median(xs);
    console.log(
      `caption batches of 64 at ${t.threads} thread(s): trimmed runs ${rate(batchTimes.trimmed).toFixed(1)} texts/s, ` +
        `padded ${rate(batchTimes.padded).toFixed(1)} texts/s (${(rate(batchTimes.trimmed) / rate(batchTimes.padded)).toFixed(2)}×); load ${load()}`,
    );
  } finally {
    await Promise.all([defaults, one, onePadded, defaultsPadded].map((m) => m.close()));
  }
}

if (values.child) await isolatedChild(JSON.parse(values.child) as ChildSpec);
else for (const dir of models) await benchModel(path.resolve(dir));
