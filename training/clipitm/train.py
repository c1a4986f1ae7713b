"""Trains the ITM head on cached frozen states with listwise hard-negative losses, both directions:
  text→image: a caption against its image + hard negative images (the dual encoder's top-k for
              that concept's label, en or zh) + random ones;
  image→text: an image against its caption + captions of the concepts the dual encoder ranked
              highest for that image + random ones.
The loss ranks by itm + dual logit (residual: the head starts at the dual encoder's ranking).
A small penalty keeps the logit of random (non-matching) pairs near 0, so no caption carries a
logit of its own into every image's ranking (the caption bias that hurt image→text).
`--tune-top` also fine-tunes the towers' top layers (text: last layer + LayerNorm; vision: last
stage + projection), from cached states, at `--tune-lr`.

Validation is EmojiOne 1 (a style neither clipdex-mini nor this head ever trains on, and not the
OpenMoji test style): R@1/5/10 after re-ranking the dual top-k, both directions, en + zh, seen and
unseen concepts, for several score mixes. Every evaluation saves ckpt-<step>.pt; the checkpoint and
the mix are chosen on validation afterwards (clipitm.select).

  cd training && TORCH_THREADS=1 nice -n 15 /usr/bin/python3 -m clipitm.train --cache .out/itm/cache.pt --minutes 60 --out .out/itm/run
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
from .base import load_text, load_vision
from .model import TunedTop, make_head

DUAL_SCALE = 26.5  # clipdex-mini's logit scale (config.json)
ALPHAS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # rank by alpha * itm + dual logit


class Sampler:
    def __init__(self, cache, caps, rng, hard=4, rand=1, label_frac=0.3):
        self.label_frac = label_frac
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
        # Queries are mostly labels; tags and single words are often true of the hard negatives too
        # (an irreducible, noisy part of the loss), so `label_frac` shifts the mix toward labels.
        r = self.rng.random()
        if r < self.label_frac:
            g = "label"
        else:
            r = 0.3 + (r - self.label_frac) / (1 - self.label_frac) * 0.7
            if r < 0.45 or not groups["word"]:
                g = "template" if r < 0.45 else "tags"
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
        """Pairs in groups of 1 + hard + rand (the positive first); `rand_mask` marks random pairs."""
        caps_, imgs, rand_mask = [], [], []
        negs_mask = [False] + [False] * self.hard + [True] * self.rand
        for con in self.rng.sample(self.concepts, n):
            lang = self.lang(con)
            # text → image group
            cap = self.caption(con, lang)
            hard = self.c["t2i"].get((con, lang))
            if hard is None:
                hard = self.c["t2i"][(con, "en")]
            group = [self.rng.choice(self.rows_of[con])]
            group += [int(hard[i]) for i in self.rng.sample(range(len(hard)), self.hard)]
            group += [self.rng.choice(self.rows_of[self.other(con)]) for _ in range(self.rand)]
            for row in group:
                caps_.append(cap)
                imgs.append(self.image(row))
            rand_mask += negs_mask
            # image → text group
            row = self.rng.choice(self.rows_of[con])
            hard = self.c["i2t"][row].tolist()
            negs = [hard[i] for i in self.rng.sample(range(len(hard)), self.hard)] + [self.other(con) for _ in range(self.rand)]
            img = self.image(row)
            for i, o in enumerate([con] + negs):
                caps_.append(self.caption(o, lang if i == 0 else self.lang(o)))
                imgs.append(img)
            rand_mask += negs_mask
        return caps_, imgs, torch.tensor(rand_mask)


class Scorer:
    """Head (+ tuned top layers) over cached states."""

    def __init__(self, head, top, eos):
        self.head, self.top, self.eos = head, top, eos

    def text(self, cache, caps_idx):
        """Token states of each caption (each distinct caption runs the tuned layer once)."""
        uniq = {}
        index = torch.tensor([uniq.setdefault(c, len(uniq)) for c in caps_idx])
        key = "cap_mid" if self.top is not None else "cap_states"
        states = pad_sequence([cache[key][i] for i in uniq], batch_first=True).float()
        if self.top is not None:
            states = self.top.text(states)
        return states[index], cache["cap_ids"][torch.as_tensor(caps_idx), : states.shape[1]]

    def image(self, tokens, grid):
        if self.top is not None:
            tokens = self.top.image(grid)
        return tokens, grid

    def __call__(self, states, ids, tokens, grid, index=None):
        tokens, grid = self.image(tokens, grid)
        return self.head(states, ids, self.eos, tokens, grid, index)

    def train(self, on):
        for m in (self.head, self.top):
            if m is not None:
                m.train(on)


def gather(cache, caps_idx, imgs):
    uniq = {}
    index = torch.tensor([uniq.setdefault(key, len(uniq)) for key in imgs])
    rows = torch.tensor([r for r, _ in uniq])
    views = torch.tensor([v for _, v in uniq])
    tokens = cache["tokens"][rows, views].float()
    # The dual encoder's logit of each pair (its frozen image embedding is token 0 of the cached states).
    dual = DUAL_SCALE * (tokens[index, 0] * cache["cap_embed"][torch.tensor(caps_idx)]).sum(-1)
    return tokens, cache["grid"][rows, views].float(), index, dual


def recall(ranks):
    n = max(1, len(ranks))
    return [round(100 * sum(r < k for r in ranks) / n, 1) for k in (1, 5, 10)]


@torch.no_grad()
def evaluate(scorer, cache, style, k=32, max_queries=None, ref_rows=None):
    """R@1/5/10 after re-ranking the dual top-k, per (lang, subset, direction), for each alpha.
    Ranking among all the style's images (t2i) or all the subset's label captions (i2t), like
    `clipdex eval`; a target outside the top k keeps its dual rank. For i2t also the per-text
    normalised variant (itm minus the caption's mean logit over `ref_rows` training images)."""
    scorer.train(False)
    con = cache[f"{style}_concept"]
    tok_all = cache[f"{style}_tokens"].float()
    grid_all = cache[f"{style}_grid"].float()
    emb = tok_all[:, 0]
    held = cache["held"]
    out = {}
    ref_tok = ref_grid = None
    if ref_rows is not None:
        ref_tok = cache["tokens"][ref_rows, 0].float()
        ref_grid = cache["grid"][ref_rows, 0].float()
    for lang in ("en", "zh"):
        for subset in ("seen", "unseen"):
            rows = [r for r, c in enumerate(con.tolist()) if bool(held[c]) == (subset == "unseen") and (c, lang, "label", 0) in cache["index"]]
            if max_queries and len(rows) > max_queries:
                rows = rows[:: math.ceil(len(rows) / max_queries)]
            caps_rows = [cache["index"][(con[r].item(), lang, "label", 0)] for r in rows]
            cap_emb = cache["cap_embed"][torch.tensor(caps_rows)]
            # text → image
            ranks = {a: [] for a in ("dual",) + ALPHAS}
            for q, cr in enumerate(caps_rows):
                sims = emb @ cap_emb[q]
                order = torch.argsort(sims, descending=True)
                top = order[:k]
                true_pos = int((con[order] == con[rows[q]]).int().argmax())
                ranks["dual"].append(true_pos)
                st, ids = scorer.text(cache, [cr])
                itm = scorer(st.expand(k, -1, -1), ids.expand(k, -1), tok_all[top], grid_all[top])
                for a in ALPHAS:
                    ranks[a].append(_rank_after(a * itm + DUAL_SCALE * sims[top], con[top] == con[rows[q]], true_pos, k))
            for a, rk in ranks.items():
                out[f"{lang}_{subset}_t2i_{a}"] = recall(rk)
            # image → text (candidates: the subset's label captions)
            bias = None
            if ref_tok is not None:
                bias = torch.zeros(len(caps_rows))
                for q, cr in enumerate(caps_rows):
                    st, ids = scorer.text(cache, [cr])
                    n = len(ref_tok)
                    bias[q] = scorer(st.expand(n, -1, -1), ids.expand(n, -1), ref_tok, ref_grid).mean()
            cap_con = con[torch.tensor(rows)]
            ranks = {a: [] for a in ("dual",) + ALPHAS + tuple(f"n{a}" for a in ALPHAS)}
            img_rows = rows
            for r in img_rows:
                sims = cap_emb @ emb[r]
                order = torch.argsort(sims, descending=True)
                top = order[:k]
                true_pos = int((cap_con[order] == con[r]).int().argmax())
                ranks["dual"].append(true_pos)
                st, ids = scorer.text(cache, [caps_rows[i] for i in top.tolist()])
                itm = scorer(st, ids, tok_all[r : r + 1], grid_all[r : r + 1], torch.zeros(len(top), dtype=torch.long))
                match = cap_con[top] == con[r]
                for a in ALPHAS:
                    ranks[a].append(_rank_after(a * itm + DUAL_SCALE * sims[top], match, true_pos, k))
                    if bias is not None:
                        ranks[f"n{a}"].append(_rank_after(a * (itm - bias[top]) + DUAL_SCALE * sims[top], match, true_pos, k))
            for a, rk in ranks.items():
                if rk:
                    out[f"{lang}_{subset}_i2t_{a}"] = recall(rk)
    scorer.train(True)
    return out


def _rank_after(score, match, true_pos, k):
    if true_pos >= k:
        return true_pos
    order = torch.argsort(score, descending=True, stable=True)
    return int(match[order].int().argmax())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", ".data"))
    ap.add_argument("--base", default=os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "models", "clipdex-mini"))
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--concepts", type=int, default=32)
    ap.add_argument("--hard", type=int, default=8)
    ap.add_argument("--rand", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--head", choices=("tokens", "query"), default="query",
                    help="tokens: every word runs through the fusion (self + cross-attention); query: the [EOS] state cross-attends")
    ap.add_argument("--label-frac", type=float, default=0.3, help="share of captions that are the plain label")
    ap.add_argument("--tune-top", action="store_true")
    ap.add_argument("--tune-lr", type=float, default=1e-4)
    ap.add_argument("--bias-penalty", type=float, default=0.05, help="weight of mean(itm²) over random pairs")
    ap.add_argument("--eval-every", type=float, default=10)
    ap.add_argument("--eval-queries", type=int, default=150)
    ap.add_argument("--eval-at-start", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dual-weight", type=float, default=1.0, help="weight of the dual logit added in the loss (0: plain ITM)")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    caps = Captions(args.data)
    cache = torch.load(args.cache)
    sampler = Sampler(cache, caps, rng, hard=args.hard, rand=args.rand, label_frac=args.label_frac)
    head = make_head(args.head, width=args.width, layers=args.layers)
    if args.dual_weight > 0:
        torch.nn.init.zeros_(head.head.weight)  # start exactly at the dual encoder's ranking
        torch.nn.init.zeros_(head.head.bias)
    top = None
    groups = []
    decay = [p for n, p in head.named_parameters() if p.ndim >= 2 and "pos" not in n]
    no_decay = [p for n, p in head.named_parameters() if not (p.ndim >= 2 and "pos" not in n)]
    groups += [{"params": decay, "weight_decay": args.wd, "base": args.lr}, {"params": no_decay, "weight_decay": 0, "base": args.lr}]
    if args.tune_top:
        top = TunedTop(load_text(args.base, caps.vocab_size, caps.eos, caps.context), load_vision(args.base))
        groups.append({"params": list(top.parameters()), "weight_decay": 0.0, "base": args.tune_lr})
    scorer = Scorer(head, top, caps.eos)
    opt = torch.optim.AdamW(groups, lr=args.lr)
    g = torch.Generator().manual_seed(7)
    ref_rows = torch.randperm(len(cache["concept"]), generator=g)[:32]
    log = open(os.path.join(args.out, "train-log.jsonl"), "a")

    def emit(rec):
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n")
        log.flush()

    def checkpoint(step):
        state = {"head": head.state_dict(), "top": top.state_dict() if top is not None else None, "step": step, "args": vars(args)}
        save(state, os.path.join(args.out, f"ckpt-{step}.pt"))
        save(state, os.path.join(args.out, "last.pt"))

    n_params = sum(p.numel() for p in head.parameters())
    emit({"start": True, "params": n_params, "tuned": sum(p.numel() for p in top.parameters()) if top else 0, **vars(args)})
    if args.eval_at_start:  # the head starts at zero output, so this is the dual encoder's own recall
        t_eval = time.time()
        emit({"step": 0, "val": evaluate(scorer, cache, "va", max_queries=args.eval_queries, ref_rows=ref_rows), "eval_s": round(time.time() - t_eval)})
    budget = args.minutes * 60
    t0 = last_eval = time.time()
    step, group = 0, 1 + args.hard + args.rand
    scorer.train(True)
    losses = []
    while True:
        frac = (time.time() - t0) / budget
        if frac >= 1:
            break
        scale = min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * frac))
        for pg in opt.param_groups:
            pg["lr"] = pg["base"] * scale
        caps_idx, imgs, rand_mask = sampler.batch(args.concepts)
        tokens, grid, index, dual = gather(cache, caps_idx, imgs)
        states, ids = scorer.text(cache, caps_idx)
        # Residual training: the score that ranks is itm + dual logit (what the engine ranks by),
        # so the head learns what the dual encoder gets wrong instead of re-learning what it knows.
        itm = scorer(states, ids, tokens, grid, index)
        logits = (itm + args.dual_weight * dual).view(-1, group)
        loss = F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))
        if args.bias_penalty > 0:
            loss = loss + args.bias_penalty * itm[rand_mask].pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for pg in groups for p in pg["params"]]
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        if step % 50 == 0:
            emit({"step": step, "min": round((time.time() - t0) / 60, 2), "loss": round(sum(losses) / len(losses), 4), "lr": round(args.lr * scale, 6)})
            losses = []
        if time.time() - last_eval > args.eval_every * 60:
            checkpoint(step)
            t_eval = time.time()
            emit({"step": step, "min": round((time.time() - t0) / 60, 2), "val": evaluate(scorer, cache, "va", max_queries=args.eval_queries, ref_rows=ref_rows), "eval_s": round(time.time() - t_eval)})
            last_eval = time.time()
    checkpoint(step)
    emit({"step": step, "final": True, "min": round((time.time() - t0) / 60, 2), "val": evaluate(scorer, cache, "va", max_queries=args.eval_queries, ref_rows=ref_rows)})


def save(state, path):
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
