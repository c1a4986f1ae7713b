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
