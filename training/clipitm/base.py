"""clipdex-mini's towers rebuilt in torch from the shipped ONNX graphs (the torch checkpoint is not
kept). The vision graph has its BatchNorms folded into the convolutions, so the rebuilt tower uses
biased convolutions; initializers are taken in graph order, which is module order."""
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
import torch.nn.functional as F

from clipmini.model import TextTower


class FusedBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1, stride) if (stride != 1 or cin != cout) else None

    def forward(self, x):
        y = self.c2(F.relu(self.c1(x)))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


class FusedVision(nn.Module):
    """clipdex-mini's vision tower (BN folded). `features` also returns the stage grids."""

    def __init__(self, widths=(32, 64, 128, 256), blocks=(1, 1, 2, 2), dim=256):
        super().__init__()
        self.stem = nn.Conv2d(3, widths[0], 3, 2, 1)
        layers, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(FusedBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.stages = nn.ModuleList(layers)
        self.proj = nn.Linear(cin, dim)

    def features(self, pixel_values):
        x = F.max_pool2d(F.relu(self.stem(pixel_values)), 3, 2, 1)
        grid3 = None
        for i, block in enumerate(self.stages):
            x = block(x)
            if i == 3:
                grid3 = x  # B,128,4,4
        embed = F.normalize(self.proj(x.mean(dim=(2, 3))), dim=-1)
        return embed, x, grid3  # B,256 ; B,256,2,2 ; B,128,4,4

    def forward(self, pixel_values):
        return self.features(pixel_values)[0]


def _inits(path):
    m = onnx.load(path)
    return [(i.name, torch.from_numpy(numpy_helper.to_array(i).copy())) for i in m.graph.initializer]


def load_vision(pkg):
    inits = _inits(os.path.join(pkg, "onnx", "vision_model.onnx"))
    named = dict(inits)
    convs = [t for n, t in inits if n.startswith("onnx::Conv")]
    v = FusedVision()
    targets = [v.stem]
    for b in v.stages:
        targets += [b.c1, b.c2] + ([b.skip] if b.skip is not None else [])
    assert len(convs) == 2 * len(targets), (len(convs), len(targets))
    with torch.no_grad():
        for k, conv in enumerate(targets):
            conv.weight.copy_(convs[2 * k])
            conv.bias.copy_(convs[2 * k + 1])
        v.proj.weight.copy_(named["tower.proj.weight"])
        v.proj.bias.copy_(named["tower.proj.bias"])
    return v.eval()


def load_text(pkg, vocab_size, eos, context=32):
    inits = _inits(os.path.join(pkg, "onnx", "text_model.onnx"))
    named = dict(inits)
    mats = [t for n, t in inits if n.startswith("onnx::MatMul")]
    t = TextTower(vocab_size, eos, context=context)
    sd = {k[len("tower."):]: v for k, v in named.items() if k.startswith("tower.")}
    for i, layer in enumerate(t.layers):
        qkv, out, fc1, fc2 = mats[4 * i: 4 * i + 4]
        sd[f"layers.{i}.att.qkv.weight"] = qkv.T
        sd[f"layers.{i}.att.out.weight"] = out.T
        sd[f"layers.{i}.mlp.0.weight"] = fc1.T
        sd[f"layers.{i}.mlp.2.weight"] = fc2.T
    sd["proj.weight"] = mats[-1].T
    missing, unexpected = t.load_state_dict(sd, strict=False)
    assert not unexpected and all(k == "causal" for k in missing), (missing, unexpected)
    return t.eval()
