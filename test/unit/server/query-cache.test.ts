import { expect } from 'chai';
import type { TextEncoder } from '../../../src/encoders/encoder.ts';
import { cachedTextEncoder } from '../../../server/query-cache.ts';

function counting(fail = new Set<string>()): { encoder: TextEncoder; calls: string[] } {
  const calls: string[] = [];
  const encodeOne = (text: string) => {
    calls.push(text);
    return fail.has(text) ? Promise.reject(new Error('boom')) : Promise.resolve(Float32Array.of(text.length));
  };
  return {
    calls,
    encoder: {
      dim: 1,
      modelId: 'fake',
      contextLength: 77,
      encodeOne,
      encodeBatch: (texts) => Promise.all(texts.map(encodeOne)),
    },
  };
}

describe('cachedTextEncoder', () => {
  it('encodes each text once while it stays among the most recent', async () => {
    const { encoder, calls } = counting();
    const cached = cachedTextEncoder(encoder, 2);
    await cached.encodeOne('cat');
    await cached.encodeBatch(['cat', 'dog']);
    await cached.encodeOne('cat');
    expect(calls).to.deep.equal(['cat', 'dog']);
    await cached.encodeOne('emu'); // evicts dog, the least recently used
    await cached.encodeOne('dog');
    expect(calls).to.deep.equal(['cat', 'dog', 'emu', 'dog']);
  });

  it('does not remember failures', async () => {
    const fail = new Set(['bad']);
    const { encoder, calls } = counting(fail);
    const cached = cachedTextEncoder(encoder, 4);
    await cached.encodeOne('bad').catch(() => undefined);
    fail.clear();
    expect((await cached.encodeOne('bad'))[0]).to.equal(3);
    expect(calls).to.deep.equal(['bad', 'bad']);
  });

  it('capacity 0 is the encoder itself', () => {
    const { encoder } = counting();
    expect(cachedTextEncoder(encoder, 0)).to.equal(encoder);
  });
});
