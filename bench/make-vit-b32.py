#!/usr/bin/python3
"""Generates bench/.data/vit-b32/: a CLIP ViT-B/32-shaped model package (HF layout) with random
weights, for timing only, plus `_int8` variants made by a small dynamic-quantization pass.

  text  : 12 layers, width 512, 8 heads, context 77, vocab 49408, causal mask, EOT (argmax) pooling → 512
  vision: patch 32 at 224², width 768, 12 layers, 12 heads, class-token pooling → 512

Int8 (ORT's Python quantizer is not installed here): every MatMul/Gemm whose right operand is a
constant becomes DynamicQuantizeLinear(A) + MatMulInteger(A_q, W_q int8 per-column) + Cast + Mul
by the scales — the same pattern onnxruntime.quantization.quantize_dynamic emits, which ORT fuses
into DynamicQuantizeMatMul.

Run: /usr/bin/python3 bench/make-vit-b32.py   (torch + onnx; ~1-2 minutes, ~1.1 GB written)
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, '.data', 'vit-b32')
TOKENIZER = os.path.join(ROOT, '..', 'src', 'model', 'assets', 'clip-bpe')


# A complete HF CLIPImageProcessor config (transformers.js refuses one without a processor type).
PREPROCESSOR_CONFIG = {
    'image_processor_type': 'CLIPImageProcessor',
    'do_resize': True, 'size': {'shortest_edge': 224}, 'resample': 3,
    'do_center_crop': True, 'crop_size': {'height': 224, 'width': 224},
    'do_rescale': True, 'rescale_factor': 1 / 255,
    'do_normalize': True, 'image_mean': [0.48145466, 0.4578275, 0.40821073], 'image_std': [0.26862954, 0.26130258, 0.27577711],
    'do_convert_rgb': True,
}


class Attention(nn.Module):
    """Plain multi-head attention (torch's fused fast path does not export to ONNX in 1.13)."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, width * 3)
        self.out = nn.Linear(width, width)

    def forward(self, x, mask=None):
        b, n, w = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) * (w // self.heads) ** -0.5
        if mask is not None:
            att = att + mask
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, w)
        return self.out(y)


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, width * 4), nn.GELU(), nn.Linear(width * 4, width))

    def forward(self, x, mask=None):
        h = self.ln_1(x)
        x = x + self.attn(h, mask)
        return x + self.mlp(self.ln_2(x))


class TextTower(nn.Module):
    def __init__(self, vocab=49408, ctx=77, width=512, heads=8, layers=12, dim=512):
        super().__init__()
        self.token = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(ctx, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.proj = nn.Linear(width, dim, bias=False)
        self.register_buffer('mask', torch.full((ctx, ctx), float('-inf')).triu(1))

    def forward(self, input_ids):
        x = self.token(input_ids) + self.pos[: input_ids.shape[1]]
        n = input_ids.shape[1]
        for b in self.blocks:
            x = b(x, self.mask[:n, :n])
        x = self.ln(x)
        eot = input_ids.argmax(dim=-1)
        pooled = x[torch.arange(x.shape[0]), eot]
        return self.proj(pooled)


class VisionTower(nn.Module):
    def __init__(self, size=224, patch=32, width=768, heads=12, layers=12, dim=512):
        super().__init__()
        self.conv = nn.Conv2d(3, width, patch, patch, bias=False)
        n = (size // patch) ** 2
        self.cls = nn.Parameter(torch.randn(width) * 0.02)
        self.pos = nn.Parameter(torch.randn(n + 1, width) * 0.01)
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Linear(width, dim, bias=False)

    def forward(self, pixel_values):
        x = self.conv(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.pos)
        for b in self.blocks:
            x = b(x)
        return self.proj(self.ln_post(x[:, 0]))


def export(model, example, in_name, out_name, path, seq_axis):
    axes = {in_name: {0: 'batch_size'}, out_name: {0: 'batch_size'}}
    if seq_axis:
        axes[in_name][1] = 'sequence_length'
    torch.onnx.export(model.eval(), example, path, input_names=[in_name], output_names=[out_name],
                      dynamic_axes=axes, opset_version=14, do_constant_folding=True)


def quantize_dynamic(src, dst):
    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes, new_inits, count = [], [], 0
    for node in graph.node:
        weight_name = None
        if node.op_type == 'MatMul' and node.input[1] in inits:
            weight_name = node.input[1]
            w = numpy_helper.to_array(inits[weight_name])
            bias = None
        elif node.op_type == 'Gemm' and node.input[1] in inits:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if attrs.get('transA', 0) or attrs.get('alpha', 1.0) != 1.0 or attrs.get('beta', 1.0) != 1.0:
                nodes.append(node)
                continue
            weight_name = node.input[1]
            w = numpy_helper.to_array(inits[weight_name])
            if attrs.get('transB', 0):
                w = w.T
            bias = node.input[2] if len(node.input) > 2 else None
        if weight_name is None or w.ndim != 2:
            nodes.append(node)
            continue
        count += 1
        p = f'q{count}_'
        # Symmetric per-column int8 weights.
        scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0
        wq = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        new_inits += [numpy_helper.from_array(wq, p + 'W'), numpy_helper.from_array(scale.astype(np.float32), p + 'Ws'),
                      numpy_helper.from_array(np.zeros(w.shape[1], np.int8), p + 'Wz')]
        a = node.input[0]
        out = node.output[0] if bias is None else p + 'mm'
        nodes += [
            helper.make_node('DynamicQuantizeLinear', [a], [p + 'Aq', p + 'As', p + 'Az']),
            helper.make_node('MatMulInteger', [p + 'Aq', p + 'W', p + 'Az', p + 'Wz'], [p + 'int']),
            helper.make_node('Cast', [p + 'int'], [p + 'f'], to=TensorProto.FLOAT),
            helper.make_node('Mul', [p + 'As', p + 'Ws'], [p + 's']),
            helper.make_node('Mul', [p + 'f', p + 's'], [out]),
        ]
        if bias is not None:
            nodes.append(helper.make_node('Add', [out, bias], [node.output[0]]))
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    onnx.save(model, dst)
    return count


def main():
    if os.path.exists(os.path.join(OUT, 'onnx', 'vision_model_int8.onnx')) and '--force' not in sys.argv:
        print(f'{OUT} exists (use --force to rebuild)')
        return
    torch.manual_seed(0)
    os.makedirs(os.path.join(OUT, 'onnx'), exist_ok=True)
    text = os.path.join(OUT, 'onnx', 'text_model.onnx')
    vision = os.path.join(OUT, 'onnx', 'vision_model.onnx')
    with torch.no_grad():
        ids = torch.randint(1, 49406, (2, 77))
        ids[:, 10] = 49407
        export(TextTower(), (ids,), 'input_ids', 'text_embeds', text, seq_axis=True)
        export(VisionTower(), (torch.randn(2, 3, 224, 224),), 'pixel_values', 'image_embeds', vision, seq_axis=False)
    for name in ('text_model', 'vision_model'):
        n = quantize_dynamic(os.path.join(OUT, 'onnx', f'{name}.onnx'), os.path.join(OUT, 'onnx', f'{name}_int8.onnx'))
        print(f'{name}: quantized {n} matmuls')
    for f in ('tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'):
        shutil.copy(os.path.join(TOKENIZER, f), os.path.join(OUT, f))
    with open(os.path.join(OUT, 'config.json'), 'w') as f:
        json.dump({'model_type': 'clip', 'projection_dim': 512, 'text_config': {'max_position_embeddings': 77}}, f)
    with open(os.path.join(OUT, 'preprocessor_config.json'), 'w') as f:
        json.dump(PREPROCESSOR_CONFIG, f)
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            print(f'{os.path.getsize(os.path.join(root, f)) / 1e6:8.1f} MB  {os.path.relpath(os.path.join(root, f), OUT)}')


if __name__ == '__main__':
    main()
