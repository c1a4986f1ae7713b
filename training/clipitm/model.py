"""The ITM fusion head: clipdex-mini's (frozen) text token states read the (frozen) image trunk's
patch states through cross-attention, then a match logit is read at the first [EOS] token.

Inputs, as the exported graph takes them:
  input_ids     int64 [B, S]         tokenizer output, padded with 0 ([PAD]) after [EOS]
  image_tokens  f32   [B, 5, 256]    the dual encoder's image embedding + the 2×2 last-stage grid
  image_grid    f32   [B, 16, 128]   the 4×4 third-stage grid
Output: itm_logits f32 [B] (higher = better match; a listwise logit comparable across candidates).
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


class Attn(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x, ctx, bias):
        b, n, w = x.shape
        m = ctx.shape[1]
        hd = w // self.heads
        q = self.q(x).reshape(b, n, self.heads, hd).transpose(1, 2)
        k, v = self.kv(ctx).chunk(2, dim=-1)
        k = k.reshape(b, m, self.heads, hd).transpose(1, 2)
        v = v.reshape(b, m, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        if bias is not None:
            att = att + bias
        y = att.softmax(dim=-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, n, w))


class FusionLayer(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.self_att = Attn(width, heads)
        self.ln2 = nn.LayerNorm(width)
        self.cross = Attn(width, heads)
        self.ln3 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, pad_bias, img):
        h = self.ln1(x)
        x = x + self.self_att(h, h, pad_bias)
        x = x + self.cross(self.ln2(x), img, None)
        return x + self.mlp(self.ln3(x))


class ItmHead(nn.Module):
    """Fusion over precomputed text states (B,S,192) and image states (N,5,256)+(N,16,128).

    `img_index` maps each pair to its image row, so image projections run once per distinct image.
    """

    def __init__(self, width=128, heads=4, layers=2, text_width=192, n_tokens=5, n_grid=16):
        super().__init__()
        self.txt_in = nn.Linear(text_width, width)
        self.img_tok = nn.Linear(256, width)
        self.img_grid = nn.Linear(128, width)
        self.img_pos = nn.Parameter(torch.randn(n_tokens + n_grid, width) * 0.02)
        self.img_ln = nn.LayerNorm(width)
        self.layers = nn.ModuleList([FusionLayer(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, 1)

    def image_states(self, tokens, grid):
        x = torch.cat([self.img_tok(tokens), self.img_grid(grid)], dim=1) + self.img_pos
        return self.img_ln(x)

    def forward(self, text_states, input_ids, eos_id, tokens, grid, img_index=None):
        img = self.image_states(tokens, grid)
        if img_index is not None:
            img = img[img_index]
        pad_bias = (input_ids == 0).to(text_states.dtype)[:, None, None, :] * -1e4
        x = self.txt_in(text_states)
        for layer in self.layers:
            x = layer(x, pad_bias, img)
        eos_pos = (input_ids == eos_id).to(torch.int32).argmax(dim=1)
        pooled = self.ln(x[torch.arange(x.shape[0]), eos_pos])
        return self.head(pooled).squeeze(-1)


class QueryLayer(nn.Module):
    """Cross-attention from one query vector per pair to the image states, then an MLP. Keys and
    values are computed once per distinct image (a pair only indexes them)."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_q = nn.LayerNorm(width)
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, width)
        self.ln_m = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, img, img_index):
        b, w = x.shape
        n, m, _ = img.shape
        hd = w // self.heads
        k, v = self.kv(img).chunk(2, dim=-1)
        k = k.reshape(n, m, self.heads, hd)
        v = v.reshape(n, m, self.heads, hd)
        if img_index is not None:
            k, v = k[img_index], v[img_index]
        q = self.q(self.ln_q(x)).reshape(b, self.heads, 1, hd)
        att = (q @ k.permute(0, 2, 3, 1)) * (1.0 / math.sqrt(hd))  # b, heads, 1, m
        y = (att.softmax(dim=-1) @ v.transpose(1, 2)).reshape(b, w)
        x = x + self.out(y)
        return x + self.mlp(self.ln_m(x))


class QueryItmHead(nn.Module):
    """The lighter fusion: the caption's first-[EOS] state (which has read the whole caption in the
    text tower) is the query of `layers` cross-attention layers over the 21 image states. About 40×
    less work per pair than running every word through the fusion, so it trains on a shared CPU
    and adds less latency. Same inputs/outputs as ItmHead."""

    def __init__(self, width=128, heads=4, layers=2, text_width=192, n_tokens=5, n_grid=16):
        super().__init__()
        self.txt_in = nn.Linear(text_width, width)
        self.img_tok = nn.Linear(256, width)
        self.img_grid = nn.Linear(128, width)
        self.img_pos = nn.Parameter(torch.randn(n_tokens + n_grid, width) * 0.02)
        self.img_ln = nn.LayerNorm(width)
        self.layers = nn.ModuleList([QueryLayer(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, 1)

    def forward(self, text_states, input_ids, eos_id, tokens, grid, img_index=None):
        img = self.img_ln(torch.cat([self.img_tok(tokens), self.img_grid(grid)], dim=1) + self.img_pos)
        eos_pos = (input_ids == eos_id).to(torch.int32).argmax(dim=1)
        x = self.txt_in(text_states[torch.arange(text_states.shape[0]), eos_pos])
        for layer in self.layers:
            x = layer(x, img, img_index)
        return self.head(self.ln(x)).squeeze(-1)


def make_head(kind="tokens", **kw):
    return QueryItmHead(**kw) if kind == "query" else ItmHead(**kw)


def text_states(tower, input_ids, with_mid=False):
    """clipdex-mini's text token states after its final LayerNorm (before pooling); with_mid also
    returns the states entering the last layer (what fine-tuning that layer starts from)."""
    n = input_ids.shape[1]
    x = tower.tok(input_ids) + tower.pos[:n]
    mask = tower.causal[:n, :n]
    mid = x
    for i, layer in enumerate(tower.layers):
        if i == len(tower.layers) - 1:
            mid = x
        x = layer(x, mask)
    return (tower.ln(x), mid) if with_mid else tower.ln(x)


class TunedTop(nn.Module):
    """The towers' top layers, trainable copies (fine-tuned variant): the text tower's last layer +
    final LayerNorm (from the cached states entering it) and the vision trunk's last stage +
    projection (from the cached 4×4 third-stage grid, which is `image_grid`). Starts as the frozen
    towers; `apply_to` writes the tuned weights into tower copies for export."""

    def __init__(self, tower, vision):
        super().__init__()
        import copy
        self.text_layer = copy.deepcopy(tower.layers[-1])
        self.text_ln = copy.deepcopy(tower.ln)
        self.register_buffer("causal", tower.causal.clone(), persistent=False)
        self.vis_blocks = nn.ModuleList([copy.deepcopy(b) for b in vision.stages[4:]])
        self.vis_proj = copy.deepcopy(vision.proj)

    def text(self, mid):
        n = mid.shape[1]
        return self.text_ln(self.text_layer(mid, self.causal[:n, :n]))

    def image(self, grid):
        b = grid.shape[0]
        x = grid.transpose(1, 2).reshape(b, 128, 4, 4)
        for block in self.vis_blocks:
            x = block(x)
        embed = F.normalize(self.vis_proj(x.mean(dim=(2, 3))), dim=-1)
        return torch.cat([embed.unsqueeze(1), x.flatten(2).transpose(1, 2)], dim=1)

    def apply_to(self, tower, vision):
        import copy
        tower.layers[-1] = copy.deepcopy(self.text_layer)
        tower.ln = copy.deepcopy(self.text_ln)
        for i, block in enumerate(self.vis_blocks):
            vision.stages[4 + i] = copy.deepcopy(block)
        vision.proj = copy.deepcopy(self.vis_proj)


class ItmModel(nn.Module):
    """Export wrapper: input_ids + image states → logits (text tower inside, frozen)."""

    def __init__(self, tower, head, eos_id, ref_tokens=None, ref_grid=None):
        super().__init__()
        self.tower = tower
        self.head_ = head
        self.eos_id = eos_id
        # Optional per-caption normalisation: each caption's mean logit over fixed reference images
        # is subtracted, so no caption carries a logit of its own into an image's ranking of texts
        # (the caption bias). For text → image it is one constant per query (ranking unchanged).
        self.norm = ref_tokens is not None
        if self.norm:
            self.register_buffer("ref_tokens", ref_tokens)
            self.register_buffer("ref_grid", ref_grid)

    def forward(self, input_ids, image_tokens, image_grid):
        # input_ids may hold one row for all images (text → image re-ranking): the text tower then
        # runs once and its states are broadcast over the batch.
        b = image_tokens.shape[0]
        own = text_states(self.tower, input_ids)
        states = own.expand(b, -1, -1)
        ids = input_ids.expand(b, -1)
        logits = self.head_(states, ids, self.eos_id, image_tokens, image_grid)
        if not self.norm:
            return logits
        t, r = input_ids.shape[0], self.ref_tokens.shape[0]
        pair_states = own.unsqueeze(1).expand(-1, r, -1, -1).reshape(t * r, own.shape[1], own.shape[2])
        pair_ids = input_ids.unsqueeze(1).expand(-1, r, -1).reshape(t * r, input_ids.shape[1])
        index = torch.arange(r).repeat(t)
        bias = self.head_(pair_states, pair_ids, self.eos_id, self.ref_tokens, self.ref_grid, index).reshape(t, r).mean(dim=1)
        return logits - bias


class ItmVision(nn.Module):
    """Export wrapper: pixel_values → the image states stored at index time."""

    def __init__(self, vision):
        super().__init__()
        self.vision = vision

    def forward(self, pixel_values):
        embed, g4, g3 = self.vision.features(pixel_values)
        b = pixel_values.shape[0]
        tokens = torch.cat([embed.unsqueeze(1), g4.flatten(2).transpose(1, 2)], dim=1)
        return tokens, g3.flatten(2).transpose(1, 2).reshape(b, 16, 128)


def image_states_from(vision, pixel_values):
    return ItmVision(vision)(pixel_values)
