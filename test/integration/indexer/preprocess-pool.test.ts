import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PreprocessPool } from '../../../indexer/pipeline/preprocess-pool.ts';
import { SharpImagePreprocessor } from '../../../src/image/image-preprocessor.ts';
import { CLIP_MEAN, CLIP_STD } from '../../../src/model/package-config.ts';

const IMAGE = path.resolve(import.meta.dirname, '..', '..', '..', 'fixtures', 'images', 'landscape.jpg');
const SPEC = {
  width: 32,
  height: 32,
  resizeMode: 'shortest',
  mean: CLIP_MEAN,
  std: CLIP_STD,
  interpolation: 'bicubic',
  rescaleFactor: 1 / 255,
} as const;

describe('preprocess pool: active workers and busy time', () => {
  it('spawns only the active workers, grows and shrinks within its size, and counts busy time', async () => {
    const pool = new PreprocessPool(SPEC, 2, { active: 1 });
    try {
      expect(pool.size).to.equal(1);
      expect(pool.active).to.equal(1);
      expect(pool.maxSize).to.equal(2);
      const bytes = await readFile(IMAGE);
      const out = await pool.preprocess(bytes);
      expect(out.pixels).to.have.length(3 * 32 * 32);
      expect(pool.completed).to.equal(1);
      expect(pool.busyMs()).to.be.greaterThan(0);
      pool.setActive(5);
      expect(pool.active).to.equal(2);
      expect(pool.size).to.equal(2);
      await Promise.all([pool.preprocess(bytes), pool.preprocess(bytes), pool.hash(bytes)]);
      expect(pool.completed).to.equal(3); // hashes are not images
      pool.setActive(0);
      expect(pool.active).to.equal(1);
      expect((await pool.preprocess(bytes)).pixels).to.have.length(3 * 32 * 32);
    } finally {
      await pool.close();
    }
  });

  it('with an inline preprocessor, 0 active means this thread: no worker until the balancer asks, same results', async () => {
    const inline = new SharpImagePreprocessor(SPEC);
    const pool = new PreprocessPool(SPEC, 2, { active: 0, inline });
    try {
      expect([pool.active, pool.size]).to.deep.equal([0, 0]);
      const bytes = await readFile(IMAGE);
      const here = await pool.preprocess(bytes);
      expect(await pool.hash(bytes)).to.equal(createHash('sha256').update(bytes).digest('hex'));
      expect(pool.size).to.equal(0);
      expect(pool.completed).to.equal(0); // counts the workers' images only
      expect(pool.busyMs()).to.equal(0);
      pool.setActive(2);
      expect([pool.active, pool.size]).to.deep.equal([2, 2]);
      const there = await pool.preprocess(bytes);
      expect(Array.from(there.pixels)).to.deep.equal(Array.from(here.pixels));
      expect(there.phash).to.equal(here.phash);
      expect(pool.completed).to.equal(1);
      pool.setActive(0);
      expect(pool.active).to.equal(0);
      expect((await pool.preprocess(bytes)).pixels).to.have.length(3 * 32 * 32);
      expect(pool.completed).to.equal(1);
    } finally {
      await pool.close();
    }
  });
});
