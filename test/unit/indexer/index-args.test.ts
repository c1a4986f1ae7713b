import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  defaultConcurrency,
  defaultDecodeWorkers,
  maxDecodeWorkers,
  parseIndexArgs,
} from '../../../cli/cli-support/index-args.ts';
import { availableCpus } from '../../../src/encoders/cpu-topology.ts';
import { formatDuration } from '../../../indexer/progress/progress-reporter.ts';

describe('indexer/parseIndexArgs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-args-'));
    await mkdir(path.join(dir, 'photos'));
    for (const f of ['one.jpg', 'corpus.txt', 'corpus.csv', 'notes.md']) {
      await writeFile(path.join(dir, f), 'x');
    }
    // Caption manifests are read before anything else happens: this one must look like one.
    await writeFile(path.join(dir, 'caps.jsonl'), '{"image": "one.jpg", "captions": ["a thing"]}\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('sorts paths into folders, images and corpora, relative to the working directory', async () => {
    const parsed = await parseIndexArgs(
      {
        _: [['photos', 'one.jpg', 'corpus.txt', 'corpus.csv']],
        library: 'lib',
        captions: ['caps.jsonl'],
        batchSize: '8',
      },
      dir,
    );
    expect(parsed.folders).to.deep.equal([path.join(dir, 'photos')]);
    expect(parsed.imageFiles).to.deep.equal([path.join(dir, 'one.jpg')]);
    expect(parsed.corpora).to.deep.equal([path.join(dir, 'corpus.txt'), path.join(dir, 'corpus.csv')]);
    expect(parsed.captions).to.deep.equal([path.join(dir, 'caps.jsonl')]);
    expect(parsed.libraryDir).to.equal(path.join(dir, 'lib'));
    expect(parsed.batchSize).to.equal(8);
    expect(parsed.concurrency).to.be.within(4, 32);
  });

  it('rejects what it cannot index, with a typed error before anything opens', async () => {
    const codeOf = async (args: Parameters<typeof parseIndexArgs>[0]): Promise<unknown> => {
      try {
        await parseIndexArgs(args, dir);
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(await codeOf({ _: ['notes.md'], library: 'lib' })).to.equal('INVALID_INPUT');
    expect(await codeOf({ _: ['missing'], library: 'lib' })).to.equal('NOT_FOUND');
    expect(await codeOf({ _: [], library: 'lib' })).to.equal('INVALID_INPUT');
    expect(await codeOf({ _: ['photos'] })).to.equal('INVALID_INPUT');
    expect(await codeOf({ _: ['photos'], library: 'lib', batchSize: '0' })).to.equal('INVALID_INPUT');
    expect(await codeOf({ _: ['photos'], library: 'lib', captions: ['photos'] })).to.equal('INVALID_INPUT');
    expect(await codeOf({ _: [], library: 'lib', retryFailed: true })).to.equal('no error');
  });

  it('decode workers: the flag fixes them, else balanced from the main thread (fast) or CPUs − 1 (exact) up to the CPUs; --decode fast|exact', async () => {
    const set = await parseIndexArgs(
      { _: ['photos'], library: 'lib', decodeWorkers: '3', decode: 'exact' },
      dir,
    );
    expect(set).to.include({
      decodeWorkers: 3,
      maxDecodeWorkers: 3,
      decodeWorkersSet: true,
      decode: 'exact',
    });
    const dflt = await parseIndexArgs({ _: ['photos'], library: 'lib' }, dir);
    expect(dflt.decodeWorkersSet).to.equal(false);
    expect(dflt.decode).to.equal('fast');
    expect(dflt.maxDecodeWorkers).to.be.at.least(dflt.decodeWorkers);
    expect(defaultDecodeWorkers(1)).to.equal(0);
    expect(maxDecodeWorkers(1)).to.equal(0);
    expect(dflt.decodeWorkers).to.equal(0); // fast: the main thread, until the balancer starts workers
    expect([defaultDecodeWorkers(2), maxDecodeWorkers(2)]).to.deep.equal([0, 2]);
    expect([defaultDecodeWorkers(2, 'exact'), defaultDecodeWorkers(64, 'exact')]).to.deep.equal([1, 8]);
    expect(defaultDecodeWorkers(1, 'exact')).to.equal(0);
    expect(maxDecodeWorkers(64)).to.equal(8);
    const exact = await parseIndexArgs({ _: ['photos'], library: 'lib', decode: 'exact' }, dir);
    expect(exact.decodeWorkers).to.equal(defaultDecodeWorkers(availableCpus(), 'exact'));
    // About four files in flight per worker the run may use; at least 4 and one per CPU, at most 32.
    expect([defaultConcurrency(2, 2), defaultConcurrency(1, 0), defaultConcurrency(16, 8)]).to.deep.equal([
      8, 4, 32,
    ]);
    expect(dflt.concurrency).to.equal(defaultConcurrency(availableCpus(), dflt.maxDecodeWorkers));
    const bad = await parseIndexArgs({ _: ['photos'], library: 'lib', decode: 'shrink' }, dir).catch(
      (e: unknown) => e,
    );
    expect(bad).to.have.property('code', 'INVALID_INPUT');
  });
});

describe('indexer/formatDuration', () => {
  it('formats ETAs for people', () => {
    expect(formatDuration(undefined)).to.equal('?');
    expect(formatDuration(Infinity)).to.equal('?');
    expect(formatDuration(42.4)).to.equal('42s');
    expect(formatDuration(125)).to.equal('2m05s');
    expect(formatDuration(7260)).to.equal('2h01m');
  });
});
