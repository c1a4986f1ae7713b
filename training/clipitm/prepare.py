"""Caches what ITM training reads, all computed once with clipdex-mini's frozen towers:
image states for every training image (a clean view + augmented views), text states for every
caption, and hard negatives mined from the dual encoder's own top-k in both directions (en + zh).

  cd training && TORCH_THREADS=1 nice /usr/bin/python3 -m clipitm.prepare --out .out/itm
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from clipmini.data import TRAIN_STYLES, Captions, Dataset, augment, load_style, normalize
from .base import load_text, load_vision
from .model import image_states_from, text_states


@torch.no_grad()
def image_states(vision, pixels_u8, gen=None, bs=512):
    toks, grids, embeds = [], [], []
    for i in range(0, len(pixels_u8), bs):
        x = pixels_u8[i:i + bs].float().div(255)
        if gen is not None:
            x = augment(x, gen)
        t, g = image_states_from(vision, normalize(x))
        toks.append(t.half())
        grids.append(g.half())
    return torch.cat(toks), torch.cat(grids)


def flat_captions(caps):
    """Every caption id list with its (concept, lang) — the lookup table for sampled captions."""
    ids, concept, lang, index = [], [], [], {}
    for c, entry in enumerate(caps.concepts):
        for li, l in enumerate(("en", "zh")):
            for group, options in entry[l].items():
                for k, toks in enumerate(options):
                    index[(c, l, group, k)] = len(ids)
                    ids.append(caps.pad(toks))
                    concept.append(c)
                    lang.append(li)
    return torch.tensor(ids), torch.tensor(concept), torch.tensor(lang), index


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", ".data"))
    ap.add_argument("--base", default=os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "models", "clipdex-mini"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--views", type=int, default=4, help="1 clean + (views-1) augmented")
    ap.add_argument("--topk", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    meta = json.load(open(os.path.join(args.data, "concepts.json")))
    caps = Captions(args.data)
    vision = load_vision(args.base)
    tower = load_text(args.base, caps.vocab_size, caps.eos, caps.context)
    ds = Dataset(args.data, meta)
    gen = torch.Generator().manual_seed(1)

    views_t, views_g = [], []
    for v in range(args.views):
        t, g = image_states(vision, ds.pixels, None if v == 0 else gen)
        views_t.append(t)
        views_g.append(g)
        print(f"view {v}: {time.time() - t0:.0f}s", flush=True)
    img_embed = views_t[0][:, 0].float()  # clean dual-encoder embeddings

    ids, cap_concept, cap_lang, index = flat_captions(caps)
    lens = (ids != 0).sum(1)
    order = torch.argsort(lens)
    states = [None] * len(ids)
    mids = [None] * len(ids)
    cap_embed = torch.zeros(len(ids), 256)
    with torch.no_grad():
        for i in range(0, len(ids), 1024):
            rows = order[i:i + 1024]
            n = int(lens[rows].max())
            batch = ids[rows, :n]
            s, mid = text_states(tower, batch, with_mid=True)
            eos = (batch == caps.eos).int().argmax(1)
            cap_embed[rows] = torch.nn.functional.normalize(tower.proj(s[torch.arange(len(rows)), eos]), dim=-1)
            for r, row in enumerate(rows.tolist()):
                states[row] = s[r, : int(lens[row])].half().clone()
                mids[row] = mid[r, : int(lens[row])].half().clone()
    print(f"text states: {time.time() - t0:.0f}s", flush=True)

    # Hard negatives from the dual encoder's own ranking.
    concept = torch.from_numpy(ds.concept)
    label_rows = [(index[(c, l, "label", 0)], c, l) for c in ds.concepts for l in ("en", "zh") if (c, l, "label", 0) in index]
    t2i = {}
    for row, c, l in label_rows:
        sims = img_embed @ cap_embed[row]
        sims[concept == c] = -2
        t2i[(c, l)] = torch.topk(sims, args.topk).indices.to(torch.int32)
    label_idx = torch.tensor([r for r, _, _ in label_rows])
    label_concept = torch.tensor([c for _, c, _ in label_rows])
    sims = img_embed @ cap_embed[label_idx].T  # images × labels (en and zh)
    sims[concept.unsqueeze(1) == label_concept.unsqueeze(0)] = -2
    top = torch.topk(sims, 2 * args.topk, dim=1).indices
    i2t = []
    for r in range(len(top)):
        seen, out = set(), []
        for j in label_concept[top[r]].tolist():
            if j not in seen:
                seen.add(j)
                out.append(j)
        i2t.append(torch.tensor(out[: args.topk], dtype=torch.int32))
    print(f"mined: {time.time() - t0:.0f}s", flush=True)

    # The in-training monitor: OpenMoji (held-out style), clean states + dual embeddings.
    om_idx, om_px = load_style(args.data, "openmoji")
    om_t, om_g = image_states(vision, torch.from_numpy(om_px).permute(0, 3, 1, 2).contiguous())
    # The validation style (EmojiOne 1): checkpoints and the score mix are chosen on it, never on OpenMoji.
    va_idx, va_px = load_style(args.data, "emojione-v1")
    va_t, va_g = image_states(vision, torch.from_numpy(va_px).permute(0, 3, 1, 2).contiguous())
    torch.save({
        "concept": concept, "tokens": torch.stack(views_t, 1), "grid": torch.stack(views_g, 1),
        "cap_ids": ids, "cap_concept": cap_concept, "cap_lang": cap_lang, "cap_states": states, "cap_mid": mids, "cap_embed": cap_embed,
        "index": index, "t2i": t2i, "i2t": i2t,
        "om_concept": torch.from_numpy(om_idx), "om_tokens": om_t, "om_grid": om_g,
        "va_concept": torch.from_numpy(va_idx), "va_tokens": va_t, "va_grid": va_g,
        "held": torch.tensor([c["heldOut"] for c in meta]),
    }, os.path.join(args.out, "cache.pt"))
    print(f"saved cache: {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
