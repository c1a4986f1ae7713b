import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { OnnxSession } from '../../../src/encoders/onnx-session.ts';
import { bundledModelDir } from '../../../src/model/bundled-model.ts';
import { CalibrationCache } from '../../../src/model/calibration-cache.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { calibrateTower, LOADED_TTL_MS, planTowerThreads } from '../../../src/model/tower-threads.ts';

const MODEL = bundledModelDir();
const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
/** Short timings: these tests check the bookkeeping, not which count wins on this machine. */
const QUICK = { budgetMs: 5, minRounds: 1, maxRounds: 2 } as const;
const CPU = { model: 'Test CPU A', count: 2 } as const;

describe('per-machine thread calibration', () => {
  let dir: string;
  let cache: CalibrationCache;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-calibration-'));
    cache = new CalibrationCache(path.join(dir, 'models'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const entries = async (): Promise<string[]> =>
    existsSync(cache.dir) ? (await readdir(cache.dir)).sort() : [];
  const load = (extra: { cpu?: { model: string; count: number }; variant?: string } = {}) =>
    loadModel(MODEL, {
      device: 'cpu',
      ...(extra.variant ? { variant: extra.variant } : {}),
      calibration: { cache, cpu: extra.cpu ?? CPU, options: QUICK },
    });

  it('measures each tower once, within its bounds, then reuses the result on this machine', async () => {
    const first = await load();
    const { text, vision } = first.details.threads;
    await first.close();
    for (const choice of [text, vision]) {
      expect(choice.source).to.equal('measured');
      expect(choice.threads).to.be.within(1, CPU.count);
      expect(choice.trials.map((t) => t.threads)).to.deep.equal([1, 2]);
    }
    expect(await entries()).to.have.length(2);

    const again = await load();
    await again.close();
    expect(again.details.threads.text).to.include({ source: 'cached', threads: text.threads });
    expect(again.details.threads.vision).to.include({ source: 'cached', threads: vision.threads });
    expect(await entries()).to.have.length(2);
  });

  it('--threads overrides the calibration and the cache', async () => {
    const model = await loadModel(MODEL, {
      device: 'cpu',
      threads: 2,
      calibration: { cache, cpu: CPU, options: QUICK },
    });
    await model.close();
    expect(model.details.threads.text).to.include({ source: 'flag', threads: 2 });
    expect(model.details.threads.vision).to.include({ source: 'flag', threads: 2 });
    expect(await entries()).to.deep.equal([]);
  });

  it('a different CPU, or a different model, is measured afresh', async () => {
    await (await load()).close();
    const before = await entries();
    const otherCpu = await load({ cpu: { model: 'Test CPU B', count: 2 } });
    await otherCpu.close();
    expect(otherCpu.details.threads.text.source).to.equal('measured');
    const moreCpus = await load({ cpu: { model: 'Test CPU A', count: 4 } });
    await moreCpus.close();
    expect(moreCpus.details.threads.vision.source).to.equal('measured');
    expect(moreCpus.details.threads.vision.trials.map((t) => t.threads)).to.deep.equal([1, 2, 4]);
    const otherModel = await load({ variant: 'quantized' });
    await otherModel.close();
    expect(otherModel.details.threads.text.source).to.equal('measured');
    expect(otherModel.details.threads.vision.source).to.equal('measured');
    const after = await entries();
    expect(after).to.have.length(8);
    expect(after).to.include.members(before);
  });

  it('a calibration timed on a loaded machine is trusted for an hour, then timed again; a quiet one stays', async () => {
    await (await load()).close();
    const files = await entries();
    const rewrite = async (patch: Record<string, unknown>): Promise<void> => {
      for (const name of files) {
        const file = path.join(cache.dir, name);
        const entry = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
        await writeFile(file, JSON.stringify({ ...entry, ...patch }));
      }
    };
    const hourAgo = new Date(Date.now() - LOADED_TTL_MS - 60_000).toISOString();
    const at = (now: number) =>
      loadModel(MODEL, { device: 'cpu', calibration: { cache, cpu: CPU, options: QUICK, now: () => now } });

    // Other processes kept 1.2 of 2 CPUs busy, minutes ago: still used, and the summary says so.
    await rewrite({ otherCpus: 1.2, measuredAt: new Date().toISOString() });
    const recent = await at(Date.now());
    await recent.close();
    expect(recent.details.threads.text.source).to.equal('cached');
    expect(recent.details.threads.text.reason).to.match(/other processes kept 1\.20 CPUs busy/);

    // The same, over an hour ago: measured again.
    await rewrite({ otherCpus: 1.2, measuredAt: hourAgo });
    const old = await at(Date.now());
    await old.close();
    expect(old.details.threads.text.source).to.equal('measured');
    expect(old.details.threads.vision.source).to.equal('measured');

    // A quiet machine (under a fifth of the CPUs busy elsewhere): kept however old.
    await rewrite({ otherCpus: 0.2, measuredAt: hourAgo });
    const quiet = await at(Date.now());
    await quiet.close();
    expect(quiet.details.threads.text.source).to.equal('cached');
  });

  it('an unreadable or foreign cache entry is ignored and replaced', async () => {
    await (await load()).close();
    for (const name of await entries()) {
      await writeFile(path.join(cache.dir, name), '{"format":1,"threads":99');
    }
    const model = await load();
    await model.close();
    expect(model.details.threads.text.source).to.equal('measured');
  });

  it('falls back to the session already open when a candidate cannot be timed', async () => {
    const graph = path.join(MODEL, 'onnx', 'text_model.onnx');
    const plan = await planTowerThreads(graph, { calibration: { cache, cpu: CPU } }, new Map());
    expect(plan.pending?.candidates).to.deep.equal([1, 2]);
    const session = await OnnxSession.open(graph, { device: 'cpu', threads: plan.initial });
    const result = await calibrateTower(
      session,
      plan,
      { calibration: { cache, cpu: CPU, options: QUICK } },
      () => Promise.reject(new Error('no memory for another session')),
      () => Promise.resolve(),
      1,
    );
    expect(result.session).to.equal(session);
    expect(result.choice).to.include({ source: 'fallback', threads: plan.initial });
    expect(result.choice.reason).to.match(/no memory/);
    await session.close();
    expect(await entries()).to.deep.equal([]);
  });

  it('pinned to one CPU (taskset -c 0), the CLI picks 1 thread for both towers', async function () {
    if (process.platform !== 'linux' || !existsSync('/usr/bin/taskset')) this.skip();
    const { stdout } = await promisify(execFile)(
      '/usr/bin/taskset',
      ['-c', '0', process.execPath, path.join(REPO, 'bin/clipdex.js'), 'model', 'info', '--json'],
      {
        cwd: REPO,
        env: { ...process.env, CLIPDEX_CACHE: dir },
      },
    );
    const info = JSON.parse(stdout) as {
      threads: { text: { threads: number; source: string }; vision: { threads: number; source: string } };
    };
    expect(info.threads.text).to.include({ threads: 1, source: 'single-cpu' });
    expect(info.threads.vision).to.include({ threads: 1, source: 'single-cpu' });
  });
});
