/** The index summary says what the run used of the machine, and why. */
import path from 'node:path';
import { expect } from 'chai';
import { availableCpus } from '../../src/encoders/cpu-topology.ts';
import { cleanup, clipdexJson, copyFixture, tempDir } from './indexer-helpers.ts';

interface Resources {
  cpus: number;
  encoderThreads: Record<'text' | 'vision', { threads: number; source: string; reason: string }>;
  decodeWorkers: { count: number; source: string; reason: string };
}

describe('clipdex index: threads and decode workers in the summary', () => {
  let dir: string | undefined;
  afterEach(() => cleanup(dir));

  it('defaults: measured (or cached) encoder threads within the CPUs, decode workers chosen for this machine', async () => {
    dir = await tempDir();
    const photos = await copyFixture('photos', dir);
    const { resources } = await clipdexJson<{ resources: Resources }>([
      'index',
      photos,
      '--library',
      path.join(dir, 'lib'),
    ]);
    const cpus = availableCpus();
    expect(resources.cpus).to.equal(cpus);
    for (const tower of ['text', 'vision'] as const) {
      const choice = resources.encoderThreads[tower];
      expect(choice.threads).to.be.within(1, cpus);
      expect(['measured', 'cached', 'single-cpu']).to.include(choice.source);
    }
    expect(resources.decodeWorkers.count).to.be.within(0, Math.min(8, cpus));
    expect(['balanced', 'default']).to.include(resources.decodeWorkers.source);
  });

  it('--threads and --decode-workers are taken as given', async () => {
    dir = await tempDir();
    const photos = await copyFixture('photos', dir);
    const { resources } = await clipdexJson<{ resources: Resources }>([
      'index',
      photos,
      '--library',
      path.join(dir, 'lib'),
      '--threads',
      '1',
      '--decode-workers',
      '1',
    ]);
    expect(resources.encoderThreads.text).to.include({ threads: 1, source: 'flag' });
    expect(resources.encoderThreads.vision).to.include({ threads: 1, source: 'flag' });
    expect(resources.decodeWorkers).to.include({ count: 1, source: 'flag' });
  });
});
