"""Trains the ITM head on cached frozen states with listwise hard-negative losses, both directions:
  text→image: a caption against its image + hard negative images (the dual encoder's top-k for
              that concept's label, en or zh) + random ones;
  image→text: an image against its caption + captions of the concepts the dual encoder ranked
              highest for that image + random ones.
Time-budgeted cosine schedule; checkpoints (last.pt) every few minutes.

  cd training && TORCH_THREADS=1 nice /usr/bin/python3 -m clipitm.train --cache .out/itm/cache.pt --minutes 40 --out .out/itm
"""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

from clipmini.data import Captions
from .model import ItmHead

DUAL_SCALE = 26.5  # clipdex-mini's logit scale (config.json)


class Sampler:
    def __init__(self, cache, caps, rng, hard=4, rand=1):
        self.c = cache
        self.caps = caps
        self.rng = rng
        self.hard, self.rand = hard, rand
        self.rows_of = {}
        for r, con in enumerate(cache["concept"].tolist()):
            self.rows_of.setdefault(con, []).append(r)
        self.concepts = sorted(self.rows_of)
        self.views = cache["tokens"].shape[1]

    def caption(self, con, lang):
        entry = self.caps.concepts[con]
        if not entry[lang]["label"]:
            lang = "en"
        groups = entry[lang]
        r = self.rng.random()
        if r < 0.45 or not groups["word"]:
            g = "label" if r < 0.30 else ("template" if r < 0.45 else "tags")
        else:
            g = "tags" if r < 0.62 else "word"
        if not groups[g]:
            g = "label"
        return self.c["index"][(con, lang, g, self.rng.randrange(len(groups[g])))]

    def lang(self, con):
        return "zh" if (self.caps.concepts[con]["zh"]["label"] and self.rng.random() < 0.35) else "en"

    def other(self, con):
        while True:
            o = self.rng.choice(self.concepts)
            if o != con:
                return o

    def image(self, row):
        return (row, self.rng.randrange(self.views))

    def batch(self, n):
        caps_, imgs = [], []
        for con in self.rng.sample(self.concepts, n):
            lang = self.lang(con)
            # text → image group
            cap = self.caption(con, lang)
            hard = self.c["t2i"].get((con, lang))
            if hard is None:
                hard = self.c["t2i"][(con, "en")]
            group = [self.rng.choice(self.rows_of[con])]
            group += [int(hard[self.rng.randrange(len(hard))]) for _ in range(self.hard)]
            group += [self.rng.choice(self.rows_of[self.other(con)]) for _ in range(self.rand)]
            for row in group:
                caps_.append(cap)
                imgs.append(self.image(row))
            # image → text group
            row = self.rng.choice(self.rows_of[con])
            hard = self.c["i2t"][row].tolist()
            negs = [hard[self.rng.randrange(len(hard))] for _ in range(self.hard)] + [self.other(con) for _ in range(self.rand)]
            img = self.image(row)
            for i, o in enumerate([con] + negs):
                caps_.append(self.caption(o, lang if i == 0 else self.lang(o)))
                imgs.append(img)
        return caps_, imgs


def gather(cache, caps_idx, imgs):
    states = pad_sequence([cache["cap_states"][i] for i in caps_idx], batch_first=True).float()
    ids = cache["cap_ids"][torch.tensor(caps_idx), : states.shape[1]]
    uniq = {}
    index = torch.tensor([uniq.setdefault(key, len(uniq)) for key in imgs])
    rows = torch.tensor([r for r, _ in uniq])
    views = torch.tensor([v for _, v in uniq])
    tokens = cache["tokens"][rows, views].float()
    # The dual encoder's logit of each pair (its image embedding is token 0 of the stored states).
    dual = DUAL_SCALE * (tokens[index, 0] * cache["cap_embed"][torch.tensor(caps_idx)]).sum(-1)
    return states, ids, tokens, cache["grid"][rows, views].float(), index, dual


@torch.no_grad()
def monitor(head, cache, caps, eos, k=32, n=200):
    """Dual vs ITM vs ITM + dual logit, R@1 after re-ranking the dual top-k, on OpenMoji seen concepts."""
    head.eval()
    om_c = cache["om_concept"]
    emb = cache["om_tokens"][:, 0].float()
    held = cache["held"]
    out = {}
    for lang in ("en", "zh"):
        rows = [r for r, c in enumerate(om_c.tolist()) if not held[c] and (c, lang, "label", 0) in cache["index"]][:: max(1, 1755 // n)]
        cap_rows = [cache["index"][(om_c[r].item(), lang, "label", 0)] for r in rows]
        hits = {"dual": 0, "itm": 0, "sum": 0}
        for r, cr in zip(rows, cap_rows):
            sims = emb @ cache["cap_embed"][cr]
            top = torch.topk(sims, k).indices
            st = cache["cap_states"][cr].float().unsqueeze(0).expand(k, -1, -1)
            ids = cache["cap_ids"][cr, : st.shape[1]].unsqueeze(0).expand(k, -1)
            itm = head(st, ids, eos, cache["om_tokens"][top].float(), cache["om_grid"][top].float())
            true = om_c[top] == om_c[r]
            for name, s in (("dual", sims[top]), ("itm", itm), ("sum", itm + DUAL_SCALE * sims[top])):
                hits[name] += int(true[s.argmax()])
        for name, h in hits.items():
            out[f"{lang}_t2i_r1_{name}"] = round(100 * h / len(rows), 1)
    head.train()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", ".data"))
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--concepts", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--eval-every", type=float, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dual-weight", type=float, default=1.0, help="weight of the dual logit added in the loss (0: plain ITM)")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    caps = Captions(args.data)
    cache = torch.load(args.cache)
    sampler = Sampler(cache, caps, rng)
    head = ItmHead(width=args.width, layers=args.layers)
    if args.dual_weight > 0:
        torch.nn.init.zeros_(head.head.weight)  # start exactly at the dual encoder's ranking
        torch.nn.init.zeros_(head.head.bias)
    decay = [p for n, p in head.named_parameters() if p.ndim >= 2 and "pos" not in n]
    no_decay = [p for n, p in head.named_parameters() if not (p.ndim >= 2 and "pos" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0}], lr=args.lr)
    log = open(os.path.join(args.out, "train-log.jsonl"), "a")

    def emit(rec):
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n")
        log.flush()

    emit({"start": True, "params": sum(p.numel() for p in head.parameters()), **{k: v for k, v in vars(args).items()}})
    emit({"step": 0, **monitor(head, cache, caps, caps.eos)})
    budget = args.minutes * 60
    t0 = last_eval = time.time()
    step, group = 0, 1 + sampler.hard + sampler.rand
    head.train()
    while True:
        frac = (time.time() - t0) / budget
        if frac >= 1:
            break
        lr = args.lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        caps_idx, imgs = sampler.batch(args.concepts)
        states, ids, tokens, grid, index, dual = gather(cache, caps_idx, imgs)
        # Residual training: the score that ranks is itm + dual logit (what the engine ranks by),
        # so the head learns what the dual encoder gets wrong instead of re-learning what it knows.
        itm = head(states, ids, caps.eos, tokens, grid, index)
        logits = (itm + args.dual_weight * dual).view(-1, group)
        loss = F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 50 == 0:
            emit({"step": step, "min": round((time.time() - t0) / 60, 2), "loss": round(loss.item(), 4), "lr": round(lr, 6)})
        if time.time() - last_eval > args.eval_every * 60:
            last_eval = time.time()
            save(head, args, step, os.path.join(args.out, "last.pt"))
            emit({"step": step, "min": round((time.time() - t0) / 60, 2), **monitor(head, cache, caps, caps.eos)})
    save(head, args, step, os.path.join(args.out, "last.pt"))
    emit({"step": step, "final": True, "min": round((time.time() - t0) / 60, 2), **monitor(head, cache, caps, caps.eos)})


def save(head, args, step, path):
    torch.save({"head": head.state_dict(), "step": step, "args": vars(args)}, path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
