import { expect } from 'chai';
import { EngineError } from '../../../src/errors.ts';
import type { HubFile } from '../../../src/model/hub/hub-client.ts';
import { availableVariants, selectVariantFiles } from '../../../src/model/hub/variant-files.ts';

const listing = (...paths: string[]): HubFile[] => paths.map((p) => ({ path: p, size: 1 }));
const picked = (files: HubFile[], variant: 'fp32' | 'fp16' | 'quantized') =>
  selectVariantFiles('o/r', files, variant).files.map((f) => f.path);

describe('choosing the files of one model variant', function () {
  const hf = listing(
    '.gitattributes',
    'README.md',
    'config.json',
    'merges.txt',
    'vocab.json',
    'tokenizer.json',
    'preprocessor_config.json',
    'onnx/model.onnx',
    'onnx/text_model.onnx',
    'onnx/text_model.onnx_data',
    'onnx/vision_model.onnx',
    'onnx/text_model_fp16.onnx',
    'onnx/vision_model_fp16.onnx',
    'onnx/vision_model_fp16.onnx.data',
    'onnx/text_model_quantized.onnx',
    'onnx/vision_model_quantized.onnx',
    'pytorch_model.bin',
    'model.safetensors',
  );

  it('takes configs, tokenizer files and the variant graphs with their external data, nothing else', () => {
    const support = [
      'README.md',
      'config.json',
      'merges.txt',
      'preprocessor_config.json',
      'tokenizer.json',
      'vocab.json',
    ];
    expect(picked(hf, 'fp32')).to.deep.equal([
      ...support.slice(0, 3),
      'onnx/text_model.onnx',
      'onnx/text_model.onnx_data',
      'onnx/vision_model.onnx',
      ...support.slice(3),
    ]);
    expect(picked(hf, 'fp16').filter((p) => p.startsWith('onnx/'))).to.deep.equal([
      'onnx/text_model_fp16.onnx',
      'onnx/vision_model_fp16.onnx',
      'onnx/vision_model_fp16.onnx.data',
    ]);
    expect(picked(hf, 'quantized').filter((p) => p.startsWith('onnx/'))).to.deep.equal([
      'onnx/text_model_quantized.onnx',
      'onnx/vision_model_quantized.onnx',
    ]);
    expect(availableVariants(hf)).to.deep.equal(['fp32', 'fp16', 'quantized']);
  });

  it('needs both towers of a variant', () => {
    const half = listing(
      'config.json',
      'onnx/text_model_fp16.onnx',
      'onnx/text_model.onnx',
      'onnx/vision_model.onnx',
    );
    expect(availableVariants(half)).to.deep.equal(['fp32']);
    expect(() => picked(half, 'fp16')).to.throw(
      EngineError,
      /does not publish the fp16 variant; available: fp32/,
    );
  });

  it('recognises clip-as-service packages and refuses repos without split towers', () => {
    expect(
      picked(listing('textual.onnx', 'visual.onnx', 'tokenizer.json', 'x/y.json'), 'fp32'),
    ).to.deep.equal(['textual.onnx', 'tokenizer.json', 'visual.onnx']);
    expect(() => picked(listing('onnx/model.onnx', 'config.json'), 'fp32')).to.throw(
      EngineError,
      /no CLIP text and vision ONNX graphs/,
    );
  });
});
