import { expect } from 'chai';
import { quotaCpus } from '../../../src/encoders/cpu-topology.ts';
import { calibrateThreads, pickThreads, threadCandidates } from '../../../src/encoders/thread-calibration.ts';

/** A fake clock: each run of `threads` advances it by `msFor(threads)`. */
function fakeTower(msFor: (threads: number) => number) {
  let clock = 0;
  const calls: number[] = [];
  return {
    now: () => clock,
    calls,
    run: (threads: number): Promise<void> => {
      calls.push(threads);
      clock += msFor(threads);
      return Promise.resolve();
    },
  };
}

describe('thread calibration', () => {
  it('tries 1, powers of two and the CPU count, never more than the CPUs', () => {
    expect(threadCandidates(1)).to.deep.equal([1]);
    expect(threadCandidates(2)).to.deep.equal([1, 2]);
    expect(threadCandidates(6)).to.deep.equal([1, 2, 4, 6]);
    expect(threadCandidates(8)).to.deep.equal([1, 2, 4, 8]);
    expect(threadCandidates(64)).to.deep.equal([1, 2, 4, 8, 16]);
    expect(threadCandidates(0)).to.deep.equal([1]);
  });

  it('picks the fastest, but fewer threads when they are within the tolerance', () => {
    expect(
      pickThreads([
        { threads: 1, itemsPerSecond: 10 },
        { threads: 2, itemsPerSecond: 19 },
      ]).threads,
    ).to.equal(2);
    expect(
      pickThreads([
        { threads: 1, itemsPerSecond: 10 },
        { threads: 2, itemsPerSecond: 10.5 },
      ]).threads,
    ).to.equal(1);
    expect(
      pickThreads([
        { threads: 1, itemsPerSecond: 10 },
        { threads: 2, itemsPerSecond: 6 },
      ]).threads,
    ).to.equal(1);
  });

  it('records how busy other processes kept the machine while it timed (and says so when it matters)', async () => {
    const tower = fakeTower((t) => (t === 1 ? 40 : 21));
    let others = 1000;
    const busy = await calibrateThreads([1, 2], 1, tower.run, 2, {
      now: tower.now,
      // Other processes burn 1.5 CPUs: 1.5 ms of CPU per ms of the fake clock.
      othersBusyMs: () => (others = 1000 + 1.5 * tower.now()),
    });
    expect(others).to.be.greaterThan(1000);
    expect(busy.otherCpus).to.be.closeTo(1.5, 1e-9);
    expect(busy.reason).to.match(/other processes kept 1\.50 CPUs busy meanwhile$/);
    const quietTower = fakeTower((t) => 40 / t);
    const quiet = await calibrateThreads([1, 2], 1, quietTower.run, 2, {
      now: quietTower.now,
      othersBusyMs: () => 0,
    });
    expect(quiet.otherCpus).to.equal(0);
    expect(quiet.reason).to.not.match(/other processes/);
    const unwatched = await calibrateThreads([1, 2], 1, tower.run, 2, { now: tower.now });
    expect(unwatched).to.not.have.property('otherCpus');
  });

  it('measures every candidate round-robin and picks one of them', async () => {
    const tower = fakeTower((t) => (t === 1 ? 40 : t === 2 ? 21 : 15)); // 4 threads fastest
    const choice = await calibrateThreads([1, 2, 4], 2, tower.run, 4, { now: tower.now });
    expect(choice.source).to.equal('measured');
    expect(choice.threads).to.equal(4);
    expect([1, 2, 4]).to.include(choice.threads);
    expect(choice.trials.map((t) => t.threads)).to.deep.equal([1, 2, 4]);
    expect(choice.trials[0]!.itemsPerSecond).to.be.closeTo(50, 1e-9); // 2 items in 40 ms
    expect(tower.calls.slice(0, 6)).to.deep.equal([1, 2, 4, 1, 2, 4]); // warm-up, then round-robin
    expect(choice.reason).to.match(/^4 threads 133\.3\/s \(1: 50\.0\/s, 2: 95\.2\/s\)$/);
  });

  it('a machine where a second thread only adds contention picks 1', async () => {
    const tower = fakeTower((t) => (t === 1 ? 20 : 24));
    const choice = await calibrateThreads([1, 2], 1, tower.run, 2, { now: tower.now });
    expect(choice.threads).to.equal(1);
  });

  it('stops after the time budget, once every candidate has its minimum rounds', async () => {
    const tower = fakeTower(() => 100);
    await calibrateThreads([1, 2], 1, tower.run, 2, {
      now: tower.now,
      budgetMs: 150,
      minRounds: 2,
      maxRounds: 10,
      looks: 1,
    });
    expect(tower.calls).to.have.length(2 + 2 * 2);
  });

  it('a clear win is decided after one timing pass', async () => {
    const tower = fakeTower((t) => (t === 1 ? 40 : 21));
    const choice = await calibrateThreads([1, 2], 1, tower.run, 2, { now: tower.now });
    expect(choice.threads).to.equal(2);
    expect(tower.calls).to.have.length(2 + 5 * 2); // warm-up, then maxRounds (5) rounds
    expect(choice.reason).to.not.match(/timed/);
  });

  it('a close call is timed again: a burst of load during the first pass does not decide it', async () => {
    // 2 threads run as slowly as 1 while the first pass lasts (another process held a core),
    // then at their real speed.
    let twoThreadRuns = 0;
    const tower = fakeTower((t) => (t === 1 ? 40 : ++twoThreadRuns <= 4 ? 40 : 21));
    const choice = await calibrateThreads([1, 2], 1, tower.run, 2, { now: tower.now });
    // Warm-up; first pass: 4 rounds (the 300 ms budget), 2 threads slow in 3 of them; second: 5.
    expect(tower.calls).to.have.length(2 + 4 * 2 + 5 * 2);
    expect(choice.threads).to.equal(2);
    expect(choice.reason).to.match(/within 10% at first, so timed 2 times/);
    // Without the second look the same tower picks 1 thread.
    twoThreadRuns = 0;
    const again = fakeTower((t) => (t === 1 ? 40 : ++twoThreadRuns <= 4 ? 40 : 21));
    const once = await calibrateThreads([1, 2], 1, again.run, 2, { now: again.now, looks: 1 });
    expect(once.threads).to.equal(1);
  });

  it('a real tie stays a tie after the second look: fewer threads', async () => {
    const tower = fakeTower((t) => (t === 1 ? 20 : 19.5));
    const choice = await calibrateThreads([1, 2], 1, tower.run, 2, { now: tower.now });
    expect(choice.threads).to.equal(1);
    expect(tower.calls).to.have.length(2 + 5 * 2 + 5 * 2);
    expect(choice.reason).to.match(/timed 2 times/);
  });

  it('falls back to the working default when a run throws', async () => {
    const choice = await calibrateThreads(
      [1, 2],
      1,
      (t) => (t === 2 ? Promise.reject(new Error('boom')) : Promise.resolve()),
      2,
    );
    expect(choice).to.include({ threads: 2, source: 'fallback' });
    expect(choice.reason).to.match(/calibration failed \(boom\)/);
  });

  it('falls back when the clock gives no usable timing', async () => {
    const choice = await calibrateThreads([1, 2], 1, () => Promise.resolve(), 2, { now: () => 0 });
    expect(choice).to.include({ threads: 2, source: 'fallback' });
    const nan = await calibrateThreads([1, 2], 1, () => Promise.resolve(), 1, { now: () => Number.NaN });
    expect(nan).to.include({ threads: 1, source: 'fallback' });
  });

  it('one CPU: nothing to measure, 1 thread', async () => {
    let runs = 0;
    const choice = await calibrateThreads([1], 1, () => Promise.resolve(runs++), 1);
    expect(choice).to.include({ threads: 1, source: 'single-cpu' });
    expect(runs).to.equal(0);
  });

  it('reads a cgroup v2 CPU quota', () => {
    expect(quotaCpus('max 100000\n')).to.equal(undefined);
    expect(quotaCpus('150000 100000\n')).to.equal(2);
    expect(quotaCpus('50000 100000')).to.equal(1);
    expect(quotaCpus(undefined)).to.equal(undefined);
    expect(quotaCpus('garbage')).to.equal(undefined);
  });
});
