"""Exports the ITM re-ranker as an HF-style package beside clipdex-mini:

  onnx/itm_vision_model.onnx  pixel_values f32 [B,3,64,64] → image_tokens f32 [B,5,256], image_grid f32 [B,16,128]
                              (clipdex-mini's frozen vision trunk: its embedding + 2×2 grid, and the 4×4 grid)
  onnx/itm_model.onnx         input_ids i64 [B,S], image_tokens, image_grid → itm_logits f32 [B]
                              (clipdex-mini's frozen text tower + the trained fusion head)
  config.json, preprocessor_config.json, tokenizer files (copied from the base package)

  cd training && /usr/bin/python3 -m clipitm.export --ckpt .out/itm/last.pt --out ../fixtures/models/clipdex-mini-itm \
      --reference .out/itm/reference.json
"""
import argparse
import json
import os
import shutil

import torch

from clipmini.data import Captions
from .base import load_text, load_vision
from .model import ItmModel, ItmVision, TunedTop, make_head

BASE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "models", "clipdex-mini")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", default=BASE)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", ".data"))
    ap.add_argument("--reference", default=None)
    ap.add_argument("--normalise", type=int, default=0, help="subtract each caption's mean logit over this many reference training images (0: off)")
    ap.add_argument("--alpha", type=float, default=1.0,
                    help="ITM weight chosen on validation (rank by alpha*itm + dual logit); folded into the head's output layer")
    args = ap.parse_args()
    torch.set_num_threads(1)
    caps = Captions(args.data)
    ck = torch.load(args.ckpt, map_location="cpu")
    targs = ck["args"]
    kind = targs.get("head", "tokens")
    head = make_head(kind, width=targs.get("width", 128), layers=targs["layers"])
    head.load_state_dict(ck["head"])
    with torch.no_grad():  # the engine ranks by itm + dual logit, so the mix weight lives in the logit
        head.head.weight.mul_(args.alpha)
        head.head.bias.mul_(args.alpha)
    vision = load_vision(args.base)
    tower = load_text(args.base, caps.vocab_size, caps.eos, caps.context)
    tuned = ck.get("top") is not None
    if tuned:
        top = TunedTop(tower, vision)
        top.load_state_dict(ck["top"])
        top.apply_to(tower, vision)
        tower.eval()
        vision.eval()
    ivis = ItmVision(vision).eval()
    ref_tokens = ref_grid = None
    if args.normalise:
        # The same reference images as validation measured: clean views of random training images.
        cache = torch.load(targs["cache"])
        rows = torch.randperm(len(cache["concept"]), generator=torch.Generator().manual_seed(7))[: args.normalise]
        ref_grid = cache["grid"][rows, 0].float()
        ref_tokens = cache["tokens"][rows, 0].float()
        if tuned:
            ref_tokens = top.image(ref_grid).detach()
        del cache
    itm = ItmModel(tower, head, caps.eos, ref_tokens, ref_grid).eval()
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)

    px = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    ids = torch.zeros(3, 7, dtype=torch.long)
    ids[0, :4] = torch.tensor([caps.eos - 1, 167, 1686, caps.eos])
    ids[1, :3] = torch.tensor([caps.eos - 1, 3556, caps.eos])
    ids[2, :7] = torch.tensor([caps.eos - 1, 48, 3799, 3556, 4139, 2589, caps.eos])
    with torch.no_grad():
        torch.onnx.export(ivis, (px,), os.path.join(args.out, "onnx", "itm_vision_model.onnx"), input_names=["pixel_values"],
                          output_names=["image_tokens", "image_grid"], opset_version=17, do_constant_folding=True,
                          dynamic_axes={"pixel_values": {0: "batch_size"}, "image_tokens": {0: "batch_size"}, "image_grid": {0: "batch_size"}})
        ivis.eval()
        tok, grid = ivis(torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(1)))
        torch.onnx.export(itm, (ids, tok, grid), os.path.join(args.out, "onnx", "itm_model.onnx"),
                          input_names=["input_ids", "image_tokens", "image_grid"], output_names=["itm_logits"], opset_version=17,
                          do_constant_folding=True,
                          dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "image_tokens": {0: "batch_size"},
                                        "image_grid": {0: "batch_size"}, "itm_logits": {0: "batch_size"}})
    # torch.onnx.export restores the wrappers' (train) mode recursively; put everything back in eval.
    itm.eval()
    ivis.eval()
    with torch.no_grad():
        ref_tok, ref_grid = ivis(px)
        logits = itm(ids, tok, grid)

    # Paths in the recorded training arguments, relative to the repository (no machine paths).
    repo = os.path.join(os.path.dirname(__file__), "..", "..")
    targs = {k: (os.path.relpath(os.path.abspath(v), repo) if k in ("data", "base", "cache", "out") and isinstance(v, str) else v)
             for k, v in targs.items()}
    config = {
        "model_type": "clipdex_itm",
        "architectures": ["ClipdexMiniItm"],
        "_name_or_path": "clipdex-mini-itm",
        "base_model": "clipdex-mini",
        "torch_dtype": "float32",
        "itm": {
            "vision_graph": "onnx/itm_vision_model.onnx",
            "fusion_graph": "onnx/itm_model.onnx",
            "text_input": "input_ids",
            "text_broadcast": True,
            "output": "itm_logits",
            "image_features": [{"name": "image_tokens", "shape": [5, 256]}, {"name": "image_grid", "shape": [16, 128]}],
            "default_k": 32,
            "score": {"dual_weight": 1.0, "dual_logit_scale": 26.5},
            "fusion": {"width": head.txt_in.out_features, "layers": len(head.layers), "heads": head.layers[0].heads if kind == "query" else head.layers[0].self_att.heads,
                       "query": "first_eos state cross-attends to the image states" if kind == "query" else "every token (self + cross-attention)",
                       "text_states": "clipdex-mini text tower (" + ("last layer fine-tuned" if tuned else "frozen") + "), width 192",
                       "image_states": "clipdex-mini vision trunk (" + ("last stage + projection fine-tuned" if tuned else "frozen") + ")", "pooling": "first_eos"},
        },
        "clipdex": {"parameters": {"fusion_head": sum(p.numel() for p in head.parameters()),
                                   "text_tower": sum(p.numel() for p in tower.parameters()),
                                   "vision_trunk": sum(p.numel() for p in vision.parameters())},
                    "training_steps": ck["step"], "training_args": targs, "itm_weight_folded": args.alpha,
                    "caption_normalisation_refs": args.normalise},
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for name in ("preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(os.path.join(args.base, name), os.path.join(args.out, name))
    if args.reference:
        with open(args.reference, "w") as f:
            json.dump({"pixels": px.flatten().tolist(), "image_tokens": ref_tok.flatten().tolist(), "image_grid": ref_grid.flatten().tolist(),
                       "ids": ids.tolist(), "tokens_in": tok.flatten().tolist(), "grid_in": grid.flatten().tolist(),
                       "logits": logits.tolist()}, f)
    print("exported", args.out, "step", ck["step"])


if __name__ == "__main__":
    main()
