"""Trainer for clipdex-mini. Time-budgeted: the cosine schedule runs over --minutes of wall time,
so a run always completes its schedule; checkpoints are written periodically (last.pt).

  cd training && nice /usr/bin/python3 -m clipmini.train --minutes 50 --out .out/run1
"""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F

from .data import Captions, Dataset, augment, normalize
from .evaluate import OpenMojiMonitor
from .model import ClipMini, count_params


def multi_positive_ce(logits, same):
    """Cross-entropy against a target spread evenly over all same-concept entries."""
    target = same.float() / same.float().sum(1, keepdim=True)
    return -(target * logits.log_softmax(1)).sum(1).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", ".data"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=50)
    ap.add_argument("--concepts-per-batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--i2i", type=float, default=0.5, help="weight of the image-image cross-style term")
    ap.add_argument("--eval-every", type=float, default=4, help="minutes between monitor evals")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    meta = json.load(open(os.path.join(args.data, "concepts.json")))
    caps = Captions(args.data)
    ds = Dataset(args.data, meta)
    monitor = OpenMojiMonitor(args.data, caps, meta)
    model = ClipMini(caps.vocab_size, caps.eos, context=caps.context)
    print(f"images {len(ds.concept)} concepts {len(ds.concepts)} params vision {count_params(model.vision)} "
          f"text {count_params(model.text)}", flush=True)

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "pos" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0}], lr=args.lr)
    budget = args.minutes * 60
    t0 = time.time()
    last_eval = t0
    step = 0
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    model.train()
    while True:
        frac = (time.time() - t0) / budget
        if frac >= 1:
            break
        warm = min(1.0, (step + 1) / 150)
        lr = args.lr * warm * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr

        rows, cons = ds.batch(rng, args.concepts_per_batch)
        x = normalize(augment(ds.pixels[rows].float().div(255), gen))
        ids = torch.tensor([caps.pad(caps.sample(c, rng)) for c in cons.tolist()])
        # Trim shared padding: pooling is at the first EOS and attention is causal, so the
        # embedding does not depend on trailing pads; shorter sequences halve the text cost.
        ids = ids[:, : int((ids != 0).sum(1).max())]
        img = model.vision(x)
        txt = model.text(ids)
        scale = model.logit_scale.exp().clamp(max=100)
        logits = scale * img @ txt.T
        same = cons.unsqueeze(0) == cons.unsqueeze(1)
        loss = 0.5 * (multi_positive_ce(logits, same) + multi_positive_ce(logits.T, same))
        if args.i2i > 0:
            eye = torch.eye(len(cons), dtype=torch.bool)
            ii = (scale * img @ img.T).masked_fill(eye, -1e4)
            pos = same & ~eye
            has = pos.any(1)
            if has.any():
                loss = loss + args.i2i * multi_positive_ce(ii[has], pos[has])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            rec = {"step": step, "min": round((time.time() - t0) / 60, 2), "loss": round(loss.item(), 4),
                   "lr": round(lr, 6), "scale": round(scale.item(), 2)}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
        if time.time() - last_eval > args.eval_every * 60:
            last_eval = time.time()
            rec = {"step": step, "min": round((time.time() - t0) / 60, 2), **monitor.run(model)}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            save(model, caps, args, step, os.path.join(args.out, "last.pt"))
    rec = {"step": step, "final": True, "min": round((time.time() - t0) / 60, 2), **monitor.run(model)}
    print(json.dumps(rec), flush=True)
    log.write(json.dumps(rec) + "\n")
    save(model, caps, args, step, os.path.join(args.out, "last.pt"))


def save(model, caps, args, step, path):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "vocab_size": caps.vocab_size, "eos": caps.eos,
                "context": caps.context, "step": step, "args": vars(args)}, tmp)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
