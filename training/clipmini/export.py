"""Exports a clipdex-mini checkpoint to the Hugging Face / transformers.js split-tower layout.

  cd training && /usr/bin/python3 -m clipmini.export --ckpt .out/run1/last.pt \
      --out ../fixtures/models/clipdex-mini
"""
import argparse
import json
import os
import shutil

import torch
from torch import nn

from .data import MEAN, STD
from .model import ClipMini, count_params


class TextExport(nn.Module):
    def __init__(self, tower):
        super().__init__()
        self.tower = tower

    def forward(self, input_ids):
        return self.tower(input_ids)


class VisionExport(nn.Module):
    def __init__(self, tower):
        super().__init__()
        self.tower = tower

    def forward(self, pixel_values):
        return self.tower(pixel_values)


def load(ckpt_path):
    ck = torch.load(ckpt_path, map_location="cpu")
    model = ClipMini(ck["vocab_size"], ck["eos"], context=ck["context"])
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def export(model, ck, out, tokenizer_dir):
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    ctx = ck["context"]
    text = TextExport(model.text).eval()
    vision = VisionExport(model.vision).eval()
    ids = torch.zeros(2, ctx, dtype=torch.long)
    ids[:, 0] = ck["eos"] - 1
    ids[:, 3] = ck["eos"]
    px = torch.zeros(2, 3, 64, 64)
    with torch.no_grad():
        torch.onnx.export(text, (ids,), os.path.join(out, "onnx", "text_model.onnx"), input_names=["input_ids"],
                          output_names=["text_embeds"], opset_version=17, do_constant_folding=True,
                          dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"}})
        torch.onnx.export(vision, (px,), os.path.join(out, "onnx", "vision_model.onnx"), input_names=["pixel_values"],
                          output_names=["image_embeds"], opset_version=17, do_constant_folding=True,
                          dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}})
    # torch.onnx.export restores the wrapper's (train) mode recursively; put everything back in eval.
    text.eval()
    vision.eval()
    model.eval()

    dim = model.text.proj.out_features
    width = model.text.tok.embedding_dim
    config = {
        "model_type": "clip",
        "architectures": ["ClipdexMiniModel"],
        "_name_or_path": "clipdex-mini",
        "projection_dim": dim,
        "logit_scale": float(model.logit_scale.exp().clamp(max=100)),
        "torch_dtype": "float32",
        "text_config": {
            "model_type": "clip_text_model", "vocab_size": ck["vocab_size"], "hidden_size": width,
            "num_hidden_layers": len(model.text.layers), "num_attention_heads": model.text.layers[0].att.heads,
            "max_position_embeddings": ctx, "pad_token_id": 0, "bos_token_id": ck["eos"] - 1, "eos_token_id": ck["eos"],
            "pooling": "first_eos", "normalized_output": True,
        },
        "vision_config": {
            "model_type": "clip_vision_model", "architecture": "resnet-mini", "image_size": 64, "num_channels": 3,
            "normalized_output": True,
        },
        "clipdex": {"parameters": {"vision": count_params(model.vision), "text": count_params(model.text)},
                    "training_steps": ck["step"], "training_args": ck["args"]},
    }
    pre = {
        "image_processor_type": "CLIPImageProcessor", "feature_extractor_type": "CLIPFeatureExtractor",
        "do_resize": True, "size": {"shortest_edge": 64}, "resample": 3,
        "do_center_crop": True, "crop_size": {"height": 64, "width": 64},
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": MEAN.flatten().tolist(), "image_std": STD.flatten().tolist(), "do_convert_rgb": True,
    }
    special = {"bos_token": "[BOS]", "eos_token": "[EOS]", "unk_token": "[UNK]", "pad_token": "[PAD]"}
    for name, obj in (("config.json", config), ("preprocessor_config.json", pre), ("special_tokens_map.json", special)):
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer_dir, name), os.path.join(out, name))
    # Reference outputs for the Node-side parity check.
    with torch.no_grad():
        ref_ids = [[ck["eos"] - 1, 5, 6, ck["eos"]] + [0] * 4, [ck["eos"] - 1, 7, ck["eos"], 0, 0, 0, 0, 0]]
        t = model.text(torch.tensor(ref_ids))
        g = torch.Generator().manual_seed(0)
        p = torch.rand(2, 3, 64, 64, generator=g)
        v = model.vision(p)
    return {"ids": ref_ids, "text": t.tolist(), "pixels_seed": 0, "pixels": p.flatten().tolist(), "image": v.tolist()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer", default=os.path.join(os.path.dirname(__file__), "..", ".data", "tokenizer"))
    ap.add_argument("--reference", default=None, help="write torch reference outputs here (JSON)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, ck = load(args.ckpt)
    ref = export(model, ck, args.out, args.tokenizer)
    if args.reference:
        with open(args.reference, "w") as f:
            json.dump(ref, f)
    print("exported", args.out, "step", ck["step"])


if __name__ == "__main__":
    main()
