"""clipdex-mini: a small CLIP-style dual encoder (ResNet-ish image tower, causal text transformer).

Both towers return L2-normalised embeddings, and the text tower pools at the FIRST end-of-text
token inside the graph, so the exported ONNX needs no attention mask and padding after EOS has
no effect (the attention is causal).
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


class VisionTower(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256), blocks=(1, 1, 2, 2), dim=256):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        )
        layers, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(Block(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.stages = nn.Sequential(*layers)
        self.proj = nn.Linear(cin, dim)

    def forward(self, pixel_values):
        x = self.stages(self.stem(pixel_values))
        x = x.mean(dim=(2, 3))
        return F.normalize(self.proj(x), dim=-1)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x, mask):
        b, n, w = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        hd = w // self.heads
        q = q.reshape(b, n, self.heads, hd).transpose(1, 2)
        k = k.reshape(b, n, self.heads, hd).transpose(1, 2)
        v = v.reshape(b, n, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)) + mask
        y = att.softmax(dim=-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, n, w))


class Layer(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.att = Attention(width, heads)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, mask):
        x = x + self.att(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))


class TextTower(nn.Module):
    def __init__(self, vocab_size, eos_id, context=32, width=192, layers=2, heads=4, dim=256):
        super().__init__()
        self.eos_id = eos_id
        self.tok = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(context, width) * 0.01)
        self.layers = nn.ModuleList([Layer(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.proj = nn.Linear(width, dim, bias=False)
        causal = torch.full((context, context), float("-inf")).triu(1)
        self.register_buffer("causal", causal, persistent=False)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(self, input_ids):
        n = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos[:n]
        mask = self.causal[:n, :n]
        for layer in self.layers:
            x = layer(x, mask)
        x = self.ln(x)
        # First EOS position (argmax returns the first maximum, in torch and in ONNX).
        eos_pos = (input_ids == self.eos_id).to(torch.int32).argmax(dim=1)
        pooled = x[torch.arange(x.shape[0]), eos_pos]
        return F.normalize(self.proj(pooled), dim=-1)


class ClipMini(nn.Module):
    def __init__(self, vocab_size, eos_id, context=32, dim=256, **kw):
        super().__init__()
        self.vision = VisionTower(dim=dim, **kw.get("vision", {}))
        self.text = TextTower(vocab_size, eos_id, context=context, dim=dim, **kw.get("text", {}))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))


def count_params(m):
    return sum(p.numel() for p in m.parameters())
