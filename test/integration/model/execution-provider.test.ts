import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { availableCpus } from '../../../src/encoders/cpu-topology.ts';
import { cudaProviderInstalled, OnnxSession } from '../../../src/encoders/onnx-session.ts';
import { isEngineError } from '../../../src/errors.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { FIXTURES } from './model-test-dirs.ts';

const GRAPH = path.join(FIXTURES, 'models/formats/huggingface/onnx/text_model.onnx');
const MODEL = path.join(FIXTURES, 'models/formats/huggingface');

describe('execution providers (real ONNX Runtime on this machine)', () => {
  it('cpu runs and reports cpu', async () => {
    const model = await loadModel(MODEL, { device: 'cpu', threads: 1 });
    expect(model.executionProvider).to.equal('cpu');
    expect(model.details.providerNote).to.equal(undefined);
    expect(await model.text.encodeOne('a cat')).to.have.length(8);
    await model.close();
  });

  it('auto picks CUDA when its provider is installed, else falls back to cpu and says why', async () => {
    const model = await loadModel(MODEL, { device: 'auto', threads: 1 });
    try {
      if (cudaProviderInstalled()) {
        expect(['cuda', 'cpu']).to.include(model.executionProvider);
        if (model.executionProvider === 'cpu') {
          expect(model.details.providerNote).to.match(/CUDA could not start/);
        }
      } else {
        expect(model.executionProvider).to.equal('cpu');
        expect(model.details.providerNote).to.match(/CUDA provider not installed/);
      }
      expect(await model.text.encodeOne('a cat')).to.have.length(8);
    } finally {
      await model.close();
    }
  });

  it('explicit cuda without the CUDA provider → PROVIDER_UNAVAILABLE with the install command', async function () {
    if (cudaProviderInstalled()) this.skip();
    const error = await OnnxSession.open(GRAPH, { device: 'cuda', threads: 1 }).catch((e: unknown) => e);
    expect(isEngineError(error, 'PROVIDER_UNAVAILABLE')).to.equal(true);
    expect((error as Error).message).to.include('npm run cuda:install');
    expect((error as Error).message).to.include('--device cpu');
  });

  it('webgpu either starts or fails with PROVIDER_UNAVAILABLE (no adapter on GPU-less machines)', async () => {
    // In a child process, so Dawn's native adapter diagnostics don't print into the test run.
    const probe = path.join(import.meta.dirname, 'webgpu-probe.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe, GRAPH]);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
      provider?: string;
      providerUnavailable?: boolean;
      message?: string;
    };
    if (result.provider !== undefined) {
      expect(result.provider).to.equal('webgpu');
    } else {
      expect(result.providerUnavailable, result.message).to.equal(true);
      expect(result.message).to.match(/webgpu/i);
    }
  });

  it('passes extra session config entries to ONNX Runtime (a bad value fails the load)', async () => {
    const ids = { type: 'int64', data: BigInt64Array.from([49406n, 320n, 49407n]), dims: [1, 3] } as const;
    const plain = await OnnxSession.open(GRAPH, { device: 'cpu', threads: 2 });
    const tuned = await OnnxSession.open(GRAPH, {
      device: 'cpu',
      threads: 2,
      config: { 'session.dynamic_block_base': '4', 'session.intra_op.allow_spinning': '0' },
    });
    try {
      const [a, b] = [await plain.run({ input_ids: ids }), await tuned.run({ input_ids: ids })];
      expect([...b.values()][0]!.data).to.deep.equal([...a.values()][0]!.data);
    } finally {
      await Promise.all([plain.close(), tuned.close()]);
    }
    // ORT parses dynamic_block_base as an integer: a typo here must not pass silently.
    const error = await OnnxSession.open(GRAPH, {
      device: 'cpu',
      threads: 2,
      config: { 'session.dynamic_block_base': 'four' },
    }).catch((e: unknown) => e);
    expect(isEngineError(error, 'MODEL_LOAD_FAILED')).to.equal(true);
  });

  it('reads graph I/O metadata: names, element types, symbolic and fixed dims', async () => {
    const session = await OnnxSession.open(
      path.join(FIXTURES, 'models/formats/openclip/textual/model.onnx'),
      { device: 'cpu', threads: 1 },
    );
    expect(session.inputs).to.deep.equal([{ name: 'text', type: 'int32', shape: [1, 77] }]);
    expect(session.outputs).to.deep.equal([{ name: 'embedding', type: 'float32', shape: [1, 12] }]);
    await session.close();
    const hf = await OnnxSession.open(GRAPH, { device: 'cpu', threads: 1 });
    expect(hf.inputs[0]).to.deep.equal({
      name: 'input_ids',
      type: 'int64',
      shape: ['batch_size', 'sequence_length'],
    });
    await hf.close();
  });

  it('defaults intra-op threads to the available CPUs and refuses nonsense thread counts', async () => {
    const session = await OnnxSession.open(GRAPH, { device: 'cpu' });
    expect(session.threads).to.equal(availableCpus());
    expect(session.threads).to.be.at.least(1);
    await session.close();
    const error = await OnnxSession.open(GRAPH, { device: 'cpu', threads: 0 }).catch((e: unknown) => e);
    expect(isEngineError(error, 'INVALID_INPUT')).to.equal(true);
  });

  it('a closed session refuses to run', async () => {
    const session = await OnnxSession.open(GRAPH, { device: 'cpu', threads: 1 });
    await session.close();
    const error = await session
      .run({ input_ids: { type: 'int64', data: new BigInt64Array(2), dims: [1, 2] } })
      .catch((e: unknown) => e);
    expect(isEngineError(error, 'CLOSED')).to.equal(true);
  });
});
