"""Training data: rendered emoji styles (uint8), pre-tokenized captions, batch sampling, augmentation."""
import json
import os
import random

import numpy as np
import torch
import torch.nn.functional as F

TRAIN_STYLES = ["noto", "noto-v1", "twemoji", "fluent-emoji", "fluent-emoji-flat",
                "fluent-emoji-high-contrast", "emojione", "emojione-monotone"]
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)


def load_style(data_dir, name):
    idx = json.load(open(os.path.join(data_dir, f"images-{name}.json")))
    px = np.fromfile(os.path.join(data_dir, f"images-{name}.u8"), dtype=np.uint8).reshape(-1, 64, 64, 3)
    assert len(idx) == len(px), name
    return np.asarray(idx, dtype=np.int64), px


class Captions:
    def __init__(self, data_dir):
        c = json.load(open(os.path.join(data_dir, "captions.json")))
        self.concepts = c["concepts"]
        self.context = c["contextLength"]
        self.eos = c["eos"]
        self.vocab_size = c["vocabSize"]

    def pad(self, ids):
        ids = list(ids)
        if len(ids) > self.context:
            ids = ids[: self.context - 1] + [self.eos]
        return ids + [0] * (self.context - len(ids))

    def label(self, concept, lang):
        labels = self.concepts[concept][lang]["label"]
        return labels[0] if labels else None

    def sample(self, concept, rng, zh_prob=0.35):
        c = self.concepts[concept]
        lang = "zh" if (c["zh"]["label"] and rng.random() < zh_prob) else "en"
        groups = c[lang]
        r = rng.random()
        if r < 0.45 or not groups["word"]:
            g = "label" if r < 0.30 else ("template" if r < 0.45 else "tags")
        else:
            g = "tags" if r < 0.62 else "word"
        options = groups[g] or groups["label"]
        return rng.choice(options)


class Dataset:
    def __init__(self, data_dir, concepts_meta):
        held = np.array([c["heldOut"] for c in concepts_meta])
        idx_all, px_all = [], []
        for s in TRAIN_STYLES:
            for variant in (s, f"{s}-outlined"):
                idx, px = load_style(data_dir, variant)
                keep = ~held[idx]
                idx_all.append(idx[keep])
                px_all.append(px[keep])
        self.concept = np.concatenate(idx_all)
        self.pixels = torch.from_numpy(np.concatenate(px_all)).permute(0, 3, 1, 2).contiguous()  # N,3,64,64 uint8
        by = {}
        for i, c in enumerate(self.concept.tolist()):
            by.setdefault(c, []).append(i)
        self.by_concept = by
        self.concepts = sorted(by)

    def batch(self, rng, n_concepts, per_concept=2):
        picked = rng.sample(self.concepts, n_concepts)
        rows, cons = [], []
        for c in picked:
            opts = self.by_concept[c]
            for i in rng.sample(opts, min(per_concept, len(opts))):
                rows.append(i)
                cons.append(c)
        return torch.tensor(rows), torch.tensor(cons)


def augment(x, gen):
    """x: B,3,64,64 float in [0,1] on white. Geometric + colour + line-art augmentation."""
    b = x.shape[0]
    # Random scale/shift/small rotation, padding with white (work on 1-x so zero-padding is white).
    scale = torch.empty(b).uniform_(0.8, 1.15, generator=gen)
    ang = torch.empty(b).uniform_(-0.15, 0.15, generator=gen)
    tx = torch.empty(b).uniform_(-0.1, 0.1, generator=gen)
    ty = torch.empty(b).uniform_(-0.1, 0.1, generator=gen)
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    x = 1 - F.grid_sample(1 - x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # Colour jitter: brightness, contrast, saturation.
    gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    sat = torch.empty(b, 1, 1, 1).uniform_(0.6, 1.4, generator=gen)
    x = gray + (x - gray) * sat
    con = torch.empty(b, 1, 1, 1).uniform_(0.75, 1.25, generator=gen)
    x = 1 - (1 - x) * con  # contrast around white keeps the background white
    bri = torch.empty(b, 1, 1, 1).uniform_(-0.08, 0.08, generator=gen)
    x = (x + bri * (x < 0.98).float()).clamp(0, 1)
    # Grayscale for some samples.
    gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).expand(-1, 3, -1, -1)
    g = torch.rand(b, generator=gen) < 0.1
    x = torch.where(g.view(b, 1, 1, 1), gray, x)
    # Line art: dark edges on white from a Sobel magnitude, mimicking outline styles.
    e = torch.rand(b, generator=gen) < 0.08
    if e.any():
        lum = gray[:, :1]
        kx = torch.tensor([[[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]]], dtype=x.dtype)
        gx = F.conv2d(lum, kx, padding=1)
        gy = F.conv2d(lum, kx.transpose(2, 3), padding=1)
        edges = 1 - (gx.abs() + gy.abs()).clamp(0, 1)
        x = torch.where(e.view(b, 1, 1, 1), edges.expand(-1, 3, -1, -1), x)
    return x


def normalize(x):
    return (x - MEAN) / STD
