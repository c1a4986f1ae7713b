import { copyFile, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { isEngineError, type ErrorCode } from '../../../src/errors.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { FIXTURES, tempCopy } from './model-test-dirs.ts';

async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isEngineError(error, code), `expected EngineError ${code}, got ${String(error)}`).to.equal(true);
  return (error as Error).message;
}

describe('loadModel: bad packages give typed errors', () => {
  const cleanups: (() => Promise<void>)[] = [];
  async function copy(fixture: string): Promise<string> {
    const { dir, cleanup } = await tempCopy(fixture);
    cleanups.push(cleanup);
    return dir;
  }
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });

  it('missing directory → NOT_FOUND', async () => {
    const message = await failure(
      loadModel(path.join(os.tmpdir(), 'clipdex-no-such-model-dir')),
      'NOT_FOUND',
    );
    expect(message).to.include('clipdex-no-such-model-dir');
  });

  it('a file instead of a directory → MODEL_LOAD_FAILED', async () => {
    await failure(
      loadModel(path.join(FIXTURES, 'models/formats/huggingface/config.json')),
      'MODEL_LOAD_FAILED',
    );
  });

  it('unknown layout → MODEL_LOAD_FAILED naming what was looked for', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'model.safetensors'), 'not onnx');
    const message = await failure(loadModel(dir), 'MODEL_LOAD_FAILED');
    for (const expected of ['onnx/text_model.onnx', 'textual/model.onnx', 'textual.onnx']) {
      expect(message).to.include(expected);
    }
  });

  it('only one tower present → MODEL_LOAD_FAILED', async () => {
    const dir = await copy('models/formats/openclip');
    await unlink(path.join(dir, 'visual', 'model.onnx'));
    await failure(loadModel(dir), 'MODEL_LOAD_FAILED');
  });

  it('corrupt ONNX → MODEL_LOAD_FAILED naming the file', async () => {
    const dir = await copy('models/formats/huggingface');
    await writeFile(path.join(dir, 'onnx', 'text_model.onnx'), Buffer.from('this is not a protobuf graph'));
    const message = await failure(loadModel(dir, { device: 'cpu', threads: 1 }), 'MODEL_LOAD_FAILED');
    expect(message).to.include('text_model.onnx');
  });

  it('missing tokenizer.json → MODEL_LOAD_FAILED (clip-as-service instead falls back to the built-in CLIP BPE)', async () => {
    const dir = await copy('models/formats/openclip');
    await unlink(path.join(dir, 'textual', 'tokenizer.json'));
    const message = await failure(loadModel(dir), 'MODEL_LOAD_FAILED');
    expect(message).to.include('tokenizer.json');
  });

  it('text and vision towers of different sizes → DIMENSION_MISMATCH', async () => {
    const dir = await copy('models/formats/huggingface');
    // 6-d clip-as-service vision tower (24×24) under the 8-d HF text tower.
    await copyFile(
      path.join(FIXTURES, 'models/formats/clip-as-service/visual.onnx'),
      path.join(dir, 'onnx', 'vision_model.onnx'),
    );
    await writeFile(
      path.join(dir, 'preprocessor_config.json'),
      JSON.stringify({ size: { shortest_edge: 24 }, crop_size: { height: 24, width: 24 } }),
    );
    const message = await failure(loadModel(dir, { device: 'cpu', threads: 1 }), 'DIMENSION_MISMATCH');
    expect(message).to.match(/8-d.*6-d/);
  });

  it('preprocessing size that the vision graph cannot take → MODEL_LOAD_FAILED', async () => {
    const dir = await copy('models/formats/openclip');
    await writeFile(
      path.join(dir, 'visual', 'preprocess_cfg.json'),
      JSON.stringify({ size: 64, resize_mode: 'squash' }),
    );
    const message = await failure(loadModel(dir, { device: 'cpu', threads: 1 }), 'MODEL_LOAD_FAILED');
    expect(message).to.include('40×40');
  });

  it('unknown or absent variant → INVALID_INPUT / MODEL_LOAD_FAILED', async () => {
    const hf = path.join(FIXTURES, 'models/formats/huggingface');
    await failure(loadModel(hf, { variant: 'fp8' }), 'INVALID_INPUT');
    const message = await failure(loadModel(hf, { variant: 'q4' }), 'MODEL_LOAD_FAILED');
    expect(message).to.include('have: fp32, quantized, fp16');
  });

  it('invalid JSON config → MODEL_LOAD_FAILED', async () => {
    const dir = await copy('models/formats/huggingface');
    await writeFile(path.join(dir, 'config.json'), '{ nope');
    await failure(loadModel(dir), 'MODEL_LOAD_FAILED');
  });

  it('a combined text+vision graph is refused with a clear message', async () => {
    const dir = await copy('models/formats/huggingface');
    await copyFile(path.join(dir, 'onnx', 'vision_model.onnx'), path.join(dir, 'onnx', 'text_model.onnx'));
    const message = await failure(loadModel(dir, { device: 'cpu', threads: 1 }), 'MODEL_LOAD_FAILED');
    expect(message).to.include('combined CLIP graph');
  });

  it('close() releases both sessions; encoding afterwards throws CLOSED; close twice is fine', async () => {
    const model = await loadModel(path.join(FIXTURES, 'models/formats/huggingface'), {
      device: 'cpu',
      threads: 1,
    });
    await model.close();
    await model.close();
    expect(model.isClosed).to.equal(true);
    await failure(model.text.encodeOne('a cat'), 'CLOSED');
    await failure(model.image.encodeOne(new Float32Array(3 * 32 * 32)), 'CLOSED');
  });
});
