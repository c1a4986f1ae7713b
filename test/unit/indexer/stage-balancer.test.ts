import { expect } from 'chai';
import { StageBalancer, type StageCounters } from '../../../indexer/pipeline/stage-balancer.ts';

/** Builds cumulative counters window by window: each window lasts 1000 ms. */
function feeder(balancer: StageBalancer) {
  let c: StageCounters = { nowMs: 0, encodeMs: 0, waitMs: 0, decodeBusyMs: 0, decoded: 0, encoded: 0 };
  balancer.observe(c);
  return (window: { wait: number; decodeBusyPerWorker: number; encoded?: number; decoded?: number }) => {
    c = {
      nowMs: c.nowMs + 1000,
      encodeMs: c.encodeMs + 1000 * (1 - window.wait),
      waitMs: c.waitMs + 1000 * window.wait,
      decodeBusyMs: c.decodeBusyMs + 1000 * window.decodeBusyPerWorker * balancer.active,
      decoded: c.decoded + (window.decoded ?? 10),
      encoded: c.encoded + (window.encoded ?? 10),
    };
    return balancer.observe(c);
  };
}

describe('stage balancer (decode workers vs encoder)', () => {
  it('adds a worker when the encoder waits on busy decoders, up to the maximum', () => {
    const b = new StageBalancer(1, 3, 1);
    const feed = feeder(b);
    expect(feed({ wait: 0.5, decodeBusyPerWorker: 0.95 })).to.equal(2);
    expect(feed({ wait: 0.3, decodeBusyPerWorker: 0.9 })).to.equal(3);
    expect(feed({ wait: 0.3, decodeBusyPerWorker: 0.9 })).to.equal(undefined);
    expect(b.active).to.equal(3);
    const report = b.report();
    expect(report).to.include({ initial: 1, final: 3, min: 1, max: 3 });
    expect(report.steps.map((s) => s.to)).to.deep.equal([2, 3]);
    expect(report.reason).to.match(/1→2 at 1\.0s \(decode-bound: encoder waited 50%, decoders 95% busy\)/);
  });

  it('drops a worker when the encoder is the bottleneck and decoders idle, down to the minimum', () => {
    const b = new StageBalancer(1, 4, 3);
    const feed = feeder(b);
    expect(feed({ wait: 0.01, decodeBusyPerWorker: 0.2 })).to.equal(2);
    expect(feed({ wait: 0.0, decodeBusyPerWorker: 0.3 })).to.equal(1);
    expect(feed({ wait: 0.0, decodeBusyPerWorker: 0.3 })).to.equal(undefined);
    expect(b.report().reason).to.match(/encode-bound/);
  });

  it('holds steady when the stages are matched, and waits for a full window', () => {
    const b = new StageBalancer(1, 4, 2);
    const feed = feeder(b);
    expect(feed({ wait: 0.1, decodeBusyPerWorker: 0.8 })).to.equal(undefined);
    expect(
      b.observe({ nowMs: 1500, encodeMs: 0, waitMs: 1500, decodeBusyMs: 3000, decoded: 0, encoded: 0 }),
    ).to.equal(undefined);
    expect(b.report().reason).to.match(/^kept 2 \(within 1–4\)/);
  });

  it('a starved encoder with idle decoders is not decode-bound (reading or discovery is slow): no change', () => {
    const b = new StageBalancer(1, 4, 2);
    expect(feeder(b)({ wait: 0.6, decodeBusyPerWorker: 0.3 })).to.equal(undefined);
  });

  it('reports the observed stage rates', () => {
    const b = new StageBalancer(1, 2, 1);
    const feed = feeder(b);
    feed({ wait: 0, decodeBusyPerWorker: 0.6, encoded: 20, decoded: 12 });
    const r = b.report();
    expect(r.encodeImagesPerSecond).to.be.closeTo(20, 1e-9);
    expect(r.decodeImagesPerWorkerSecond).to.be.closeTo(20, 1e-9); // 12 images in 600 ms of one worker
    expect(r.reason).to.match(/encoder 20\.0 images\/s of encode time, 20\.0 per busy decode worker/);
  });
});

/** Windows of 1000 ms with the main thread's and the process's time: decoding on the main thread at 0 workers. */
function mainFeeder(balancer: StageBalancer) {
  let c: StageCounters = {
    nowMs: 0,
    encodeMs: 0,
    waitMs: 0,
    decodeBusyMs: 0,
    decoded: 0,
    encoded: 0,
    mainBusyMs: 0,
    cpuMs: 0,
  };
  balancer.observe(c);
  return (w: { wait: number; mainJs: number; cpus: number; decodeBusyPerWorker?: number }) => {
    const encodeMs = 1000 * (1 - w.wait);
    c = {
      nowMs: c.nowMs + 1000,
      encodeMs: c.encodeMs + encodeMs,
      waitMs: c.waitMs + 1000 * w.wait,
      decodeBusyMs: c.decodeBusyMs + 1000 * (w.decodeBusyPerWorker ?? 0) * balancer.active,
      decoded: c.decoded + 10,
      encoded: c.encoded + 10,
      // The encoder's runs block the main thread too; `mainJs` is its busy share of the rest.
      mainBusyMs: c.mainBusyMs! + encodeMs + (1000 - encodeMs) * w.mainJs,
      cpuMs: c.cpuMs! + 1000 * w.cpus,
    };
    return balancer.observe(c);
  };
}

describe('stage balancer from the main thread (0 workers)', () => {
  it('stays on the main thread while sharp (off-thread) is the bottleneck, not its JavaScript', () => {
    const b = new StageBalancer(0, 4, 0);
    const feed = mainFeeder(b);
    expect(feed({ wait: 0.5, mainJs: 0.1, cpus: 1.9 })).to.equal(undefined);
    expect(feed({ wait: 0.0, mainJs: 0.05, cpus: 1.9 })).to.equal(undefined);
    expect(b.report().reason).to.match(/^kept 0 \(main thread\) \(within 0–4\)/);
  });

  it('starts two workers when, two windows running, the encoder waits on a main thread busy preprocessing; then grows', () => {
    const b = new StageBalancer(0, 4, 0);
    const feed = mainFeeder(b);
    // The first window always starts before any encode (the pipeline filling): it never counts.
    expect(feed({ wait: 0.4, mainJs: 0.65, cpus: 1.2 })).to.equal(undefined);
    expect(feed({ wait: 0.4, mainJs: 0.65, cpus: 1.2 })).to.equal(undefined);
    expect(feed({ wait: 0.4, mainJs: 0.65, cpus: 1.2 })).to.equal(2);
    expect(feed({ wait: 0.3, mainJs: 0.1, cpus: 1.9, decodeBusyPerWorker: 0.9 })).to.equal(3);
    expect(b.report().reason).to.match(
      /0→2 at 3\.0s \(main thread busy 65% preprocessing, encoder waited 40%\)/,
    );
  });

  it('not while the pipeline fills: before the encoder first ran, waiting and a busy main thread are start-up', () => {
    const b = new StageBalancer(0, 4, 0);
    const feed = mainFeeder(b);
    expect(feed({ wait: 1, mainJs: 0.9, cpus: 1.2 })).to.equal(undefined); // no encode yet
    expect(feed({ wait: 1, mainJs: 0.9, cpus: 1.2 })).to.equal(undefined); // still none
    expect(feed({ wait: 0.4, mainJs: 0.9, cpus: 1.2 })).to.equal(undefined); // encoding from here
    expect(feed({ wait: 0.4, mainJs: 0.9, cpus: 1.2 })).to.equal(undefined); // one window after the first batch
    expect(feed({ wait: 0.4, mainJs: 0.9, cpus: 1.2 })).to.equal(2);
  });

  it('starts no workers when the process gets under a CPU (a loaded machine): they could not run in parallel', () => {
    const b = new StageBalancer(0, 4, 0);
    const feed = mainFeeder(b);
    for (let i = 0; i < 3; i += 1) feed({ wait: 0.4, mainJs: 0.7, cpus: 0.7 });
    expect(feed({ wait: 0.4, mainJs: 0.7, cpus: 0.7 })).to.equal(undefined);
  });

  it('with max 1 it starts one worker', () => {
    const b = new StageBalancer(0, 1, 0);
    const feed = mainFeeder(b);
    feed({ wait: 0.4, mainJs: 0.7, cpus: 1.5 });
    feed({ wait: 0.4, mainJs: 0.7, cpus: 1.5 });
    expect(feed({ wait: 0.4, mainJs: 0.7, cpus: 1.5 })).to.equal(1);
  });

  it('goes back to the main thread after two windows under 0.8 of a CPU, never below the minimum', () => {
    const b = new StageBalancer(0, 4, 2);
    const feed = mainFeeder(b);
    expect(feed({ wait: 0.2, mainJs: 0.1, cpus: 0.5, decodeBusyPerWorker: 0.5 })).to.equal(undefined);
    expect(feed({ wait: 0.2, mainJs: 0.1, cpus: 0.6, decodeBusyPerWorker: 0.5 })).to.equal(0);
    expect(b.report().reason).to.match(/2→0 at 2\.0s \(0\.60 CPUs in effect: decoding on the main thread\)/);
    const floor = new StageBalancer(1, 4, 2);
    const feedFloor = mainFeeder(floor);
    feedFloor({ wait: 0.2, mainJs: 0.1, cpus: 0.5, decodeBusyPerWorker: 0.6 });
    expect(feedFloor({ wait: 0.2, mainJs: 0.1, cpus: 0.5, decodeBusyPerWorker: 0.6 })).to.equal(undefined);
  });

  it('one window under 0.8 of a CPU is a blip, not a reason to move', () => {
    const b = new StageBalancer(0, 4, 2);
    const feed = mainFeeder(b);
    expect(feed({ wait: 0.1, mainJs: 0.1, cpus: 0.5, decodeBusyPerWorker: 0.6 })).to.equal(undefined);
    expect(feed({ wait: 0.1, mainJs: 0.1, cpus: 1.8, decodeBusyPerWorker: 0.6 })).to.equal(undefined);
    expect(feed({ wait: 0.1, mainJs: 0.1, cpus: 0.5, decodeBusyPerWorker: 0.6 })).to.equal(undefined);
  });
});
