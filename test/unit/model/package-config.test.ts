import { expect } from 'chai';
import { isEngineError } from '../../../src/errors.ts';
import {
  CLIP_MEAN,
  CLIP_STD,
  configContextLength,
  fromHuggingFace,
  fromOpenClip,
  resolveContextLength,
} from '../../../src/model/package-config.ts';

describe('package config: context length', () => {
  it('reads HF text_config.max_position_embeddings and open_clip text_cfg.context_length', () => {
    expect(configContextLength({ text_config: { max_position_embeddings: 77 } })).to.equal(77);
    expect(configContextLength({ text_cfg: { context_length: 64 } })).to.equal(64);
    expect(configContextLength({ projection_dim: 512 })).to.equal(undefined);
  });

  it('takes the smallest stated limit, CLIP 77 when none', () => {
    expect(resolveContextLength([77, 32, undefined])).to.equal(32);
    expect(resolveContextLength([undefined, 52])).to.equal(52);
    expect(resolveContextLength([undefined, undefined])).to.equal(77);
  });
});

describe('package config: preprocessing', () => {
  it('CLIP_MEAN / CLIP_STD are the values OpenAI published (not copied from our own code)', () => {
    // openai/CLIP clip/clip.py `_transform`: Normalize((0.48145466, 0.4578275, 0.40821073),
    // (0.26862954, 0.26130258, 0.27577711)); the same in openai/clip-vit-base-patch32's
    // preprocessor_config.json (image_mean / image_std). Typed here from those sources.
    expect([...CLIP_MEAN]).to.deep.equal([0.48145466, 0.4578275, 0.40821073]);
    expect([...CLIP_STD]).to.deep.equal([0.26862954, 0.26130258, 0.27577711]);
  });

  it('an HF config without image_mean / image_std falls back to the published CLIP values', () => {
    const spec = fromHuggingFace({ size: { shortest_edge: 224 }, crop_size: 224, do_normalize: true });
    expect(spec.mean).to.deep.equal([0.48145466, 0.4578275, 0.40821073]);
    expect(spec.std).to.deep.equal([0.26862954, 0.26130258, 0.27577711]);
  });

  it('HF CLIPImageProcessor: shortest edge + centre crop, bicubic, CLIP mean/std', () => {
    const spec = fromHuggingFace({
      size: { shortest_edge: 224 },
      crop_size: { height: 224, width: 224 },
      do_center_crop: true,
      resample: 3,
      rescale_factor: 1 / 255,
      image_mean: [...CLIP_MEAN],
      image_std: [...CLIP_STD],
    });
    expect(spec).to.deep.equal({
      width: 224,
      height: 224,
      resizeMode: 'shortest',
      shortestEdge: 224,
      mean: CLIP_MEAN,
      std: CLIP_STD,
      interpolation: 'bicubic',
      rescaleFactor: 1 / 255,
    });
  });

  it('older HF spellings: size and crop_size as plain numbers', () => {
    expect(fromHuggingFace({ size: 256, crop_size: 224 })).to.include({
      width: 224,
      height: 224,
      resizeMode: 'shortest',
      shortestEdge: 256,
    });
  });

  it('Chinese-CLIP / SigLIP style (no centre crop, size h×w) is a squash; bilinear and 0.5 mean/std are kept', () => {
    const spec = fromHuggingFace({
      do_center_crop: false,
      size: { height: 224, width: 224 },
      resample: 2,
      image_mean: [0.5, 0.5, 0.5],
      image_std: 0.5,
    });
    expect(spec).to.deep.include({
      resizeMode: 'squash',
      width: 224,
      height: 224,
      interpolation: 'bilinear',
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
  });

  it('do_normalize false / do_rescale false are honoured', () => {
    expect(
      fromHuggingFace({ size: 32, crop_size: 32, do_normalize: false, do_rescale: false }),
    ).to.deep.include({ mean: [0, 0, 0], std: [1, 1, 1], rescaleFactor: 1 });
  });

  it('a preprocessor_config without any size is MODEL_LOAD_FAILED', () => {
    let error: unknown;
    try {
      fromHuggingFace({ do_center_crop: false });
    } catch (e) {
      error = e;
    }
    expect(isEngineError(error, 'MODEL_LOAD_FAILED')).to.equal(true);
  });

  it('open_clip preprocess_cfg.json (immich): size, resize_mode, interpolation', () => {
    const spec = fromOpenClip({
      size: [240, 240],
      mode: 'RGB',
      mean: [0.1, 0.2, 0.3],
      std: [0.4, 0.5, 0.6],
      interpolation: 'bicubic',
      resize_mode: 'shortest',
      fill_color: 0,
    });
    expect(spec).to.deep.equal({
      width: 240,
      height: 240,
      resizeMode: 'shortest',
      mean: [0.1, 0.2, 0.3],
      std: [0.4, 0.5, 0.6],
      interpolation: 'bicubic',
      rescaleFactor: 1 / 255,
    });
    expect(fromOpenClip({ size: 384, resize_mode: 'squash' })).to.include({
      resizeMode: 'squash',
      width: 384,
    });
  });
});
