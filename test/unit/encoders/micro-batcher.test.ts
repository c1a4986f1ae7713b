// Time is driven explicitly: a fake clock (@sinonjs/fake-timers) replaces setTimeout and
// setImmediate, so "waits for the window" and "does not wait" are exact, not real-clock races.
import FakeTimers, { type Clock } from '@sinonjs/fake-timers';
import { expect } from 'chai';
import { MicroBatcher, microBatchTextEncoder } from '../../../src/encoders/micro-batcher.ts';
import type { TextEncoder } from '../../../src/encoders/encoder.ts';

function vec(n: number): Float32Array {
  return Float32Array.of(n, 0);
}

/** A promise that remembers whether it has settled. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise, settled: () => done };
}

describe('MicroBatcher', () => {
  let clock: Clock;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
  });
  afterEach(() => clock.uninstall());
  /** Runs every due timer and immediate (and the promise jobs between them), then awaits `p`. */
  const settle = async <T>(p: Promise<T>): Promise<T> => {
    await clock.runAllAsync();
    return p;
  };

  it('sends concurrent single encodes through one batch, each caller getting its own vector', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number>(
      (inputs) => {
        batches.push([...inputs]);
        return Promise.resolve(inputs.map(vec));
      },
      { windowMs: 5 },
    );
    const out = await settle(Promise.all([1, 2, 3, 4].map((n) => batcher.encode(n))));
    expect(batches).to.deep.equal([[1, 2, 3, 4]]);
    expect(out.map((v) => v[0])).to.deep.equal([1, 2, 3, 4]);
  });

  it('caps batches at maxBatch and queues the rest while the encoder is busy', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number>(
      async (inputs) => {
        batches.push([...inputs]);
        await new Promise((r) => setTimeout(r, 5));
        return inputs.map(vec);
      },
      { windowMs: 1, maxBatch: 3 },
    );
    const out = await settle(Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => batcher.encode(n))));
    expect(batches.map((b) => b.length)).to.deep.equal([3, 3, 1]);
    expect(out.map((v) => v[0])).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
  });

  it('collects queries that arrive while a batch runs into the next batch', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const batcher = new MicroBatcher<number>(
      async (inputs) => {
        if (sizes.length === 0) {
          started();
          await gate;
        }
        sizes.push(inputs.length);
        return inputs.map(vec);
      },
      { windowMs: 0 },
    );
    const first = batcher.encode(0);
    await clock.tickAsync(0);
    await running; // the first batch is now inside the encoder
    const later = [1, 2, 3].map((n) => batcher.encode(n));
    expect(batcher.pending).to.equal(3);
    release();
    await settle(Promise.all([first, ...later]));
    expect(sizes).to.deep.equal([1, 3]);
  });

  it('a lone query never waits for the window; after a shared batch the next one waits exactly the window', async () => {
    const sizes: number[] = [];
    const batcher = new MicroBatcher<number>(
      (inputs) => {
        sizes.push(inputs.length);
        return Promise.resolve(inputs.map(vec));
      },
      { windowMs: 1_000 },
    );
    const lone = tracked(batcher.encode(1));
    await clock.tickAsync(0); // no time passes: only the current turn ends
    expect(lone.settled()).to.equal(true);
    const pair = tracked(Promise.all([batcher.encode(2), batcher.encode(3)])); // same turn: shared at once
    await clock.tickAsync(0);
    expect(pair.settled()).to.equal(true);
    const fourth = tracked(batcher.encode(4)); // under load now: holds the window open
    await clock.tickAsync(999);
    expect(fourth.settled()).to.equal(false);
    expect(sizes).to.deep.equal([1, 2]);
    await clock.tickAsync(1);
    expect(fourth.settled()).to.equal(true);
    expect(sizes).to.deep.equal([1, 2, 1]);
  });

  it('rejects every caller of a failed batch and keeps working afterwards', async () => {
    let fail = true;
    const batcher = new MicroBatcher<number>(
      (inputs) => {
        if (fail) return Promise.reject(new Error('graph exploded'));
        return Promise.resolve(inputs.map(vec));
      },
      { windowMs: 1 },
    );
    const results = await settle(Promise.allSettled([batcher.encode(1), batcher.encode(2)]));
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    fail = false;
    expect((await settle(batcher.encode(9)))[0]).to.equal(9);
  });

  it('rejects when the encoder returns the wrong number of vectors', async () => {
    const batcher = new MicroBatcher<number>(() => Promise.resolve([vec(1)]), { windowMs: 1 });
    const results = await settle(Promise.allSettled([batcher.encode(1), batcher.encode(2)]));
    expect(results.every((r) => r.status === 'rejected')).to.equal(true);
  });

  it('reports batch sizes to onBatch', async () => {
    const seen: number[] = [];
    const batcher = new MicroBatcher<number>((inputs) => Promise.resolve(inputs.map(vec)), {
      windowMs: 2,
      onBatch: (n) => seen.push(n),
    });
    await settle(Promise.all([1, 2].map((n) => batcher.encode(n))));
    expect(seen).to.deep.equal([2]);
  });

  it('wraps a TextEncoder with the same interface and shares batches across callers', async () => {
    const calls: string[][] = [];
    const inner: TextEncoder = {
      dim: 2,
      modelId: 'fake',
      contextLength: 77,
      encodeBatch: (texts) => {
        calls.push([...texts]);
        return Promise.resolve(texts.map((t) => vec(t.length)));
      },
      encodeOne: () => Promise.reject(new Error('must not be called')),
    };
    const wrapped = microBatchTextEncoder(inner, { windowMs: 3 });
    expect([wrapped.dim, wrapped.modelId, wrapped.contextLength]).to.deep.equal([2, 'fake', 77]);
    const [a, b] = await settle(
      Promise.all([wrapped.encodeOne('cat'), wrapped.encodeBatch(['horse', 'ox'])]),
    );
    expect(calls).to.deep.equal([['cat', 'horse', 'ox']]);
    expect(a[0]).to.equal(3);
    expect(b.map((v) => v[0])).to.deep.equal([5, 2]);
  });
});
