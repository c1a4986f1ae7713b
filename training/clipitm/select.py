"""Chooses the checkpoint and the ITM weight (alpha: rank by alpha * itm + dual logit) on the
validation style only (EmojiOne 1; OpenMoji, the test style, is never read here).

Rule: the largest mean text→image R@1 gain on seen concepts (en, zh), among the (checkpoint, alpha)
whose image→text R@1 on seen concepts and whose mean R@1 over unseen concepts (both directions,
en + zh) are no worse than the dual encoder's.

  /usr/bin/python3 -m clipitm.select .out/itm/frozen/train-log.jsonl [.out/itm/tuned/train-log.jsonl ...]
  /usr/bin/python3 -m clipitm.select --full .out/itm/frozen/ckpt-900.pt ...   # every validation query → <ckpt>.val.jsonl
"""
import json
import sys

from .train import ALPHAS


def rows(path):
    for line in open(path):
        rec = json.loads(line)
        if "val" in rec:
            yield rec


def r1(val, key):
    return val[key][0]


def candidates(path, normalised=True):
    """image→text is scored with the per-caption normalisation (`n<alpha>`) the export applies."""
    for rec in rows(path):
        val = rec["val"]
        for a in ALPHAS:
            ia = f"n{a}" if normalised else a
            seen_t2i = sum(r1(val, f"{l}_seen_t2i_{a}") - r1(val, f"{l}_seen_t2i_dual") for l in ("en", "zh")) / 2
            seen_i2t = sum(r1(val, f"{l}_seen_i2t_{ia}") - r1(val, f"{l}_seen_i2t_dual") for l in ("en", "zh")) / 2
            unseen = sum(r1(val, f"{l}_unseen_{d}_{a if d == 't2i' else ia}") - r1(val, f"{l}_unseen_{d}_dual")
                         for l in ("en", "zh") for d in ("t2i", "i2t")) / 4
            yield {"log": path, "step": rec["step"], "alpha": a, "seen_t2i": round(seen_t2i, 2), "seen_i2t": round(seen_i2t, 2),
                   "unseen": round(unseen, 2), "en": r1(val, f"en_seen_t2i_{a}"), "zh": r1(val, f"zh_seen_t2i_{a}")}


def full(paths):
    """Re-evaluates checkpoints on every validation query; writes a log line `candidates` reads."""
    import os
    import torch
    from clipmini.data import Captions
    from .base import load_text, load_vision
    from .model import TunedTop, make_head
    from .train import Scorer, evaluate
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    data = os.path.join(os.path.dirname(__file__), "..", ".data")
    base = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "models", "clipdex-mini")
    caps = Captions(data)
    cache = None
    for path in paths:
        ck = torch.load(path, map_location="cpu")
        a = ck["args"]
        cache = cache or torch.load(a["cache"])
        head = make_head(a.get("head", "tokens"), width=a["width"], layers=a["layers"])
        head.load_state_dict(ck["head"])
        top = None
        if ck.get("top") is not None:
            top = TunedTop(load_text(base, caps.vocab_size, caps.eos, caps.context), load_vision(base))
            top.load_state_dict(ck["top"])
        ref_rows = torch.randperm(len(cache["concept"]), generator=torch.Generator().manual_seed(7))[:32]
        val = evaluate(Scorer(head, top, caps.eos), cache, "va", ref_rows=ref_rows)
        with open(path[:-3] + ".val.jsonl", "w") as f:
            f.write(json.dumps({"step": ck["step"], "ckpt": path, "val": val}) + "\n")
        print(path, "written", flush=True)


def main():
    if sys.argv[1] == "--full":
        return full(sys.argv[2:])
    cands = [c for path in sys.argv[1:] for c in candidates(path) if c["step"] > 0]
    for c in cands:
        if c["alpha"] == 1.0:
            print(json.dumps(c))
    ok = [c for c in cands if c["seen_i2t"] >= 0 and c["unseen"] >= 0]
    best = max(ok or cands, key=lambda c: (c["seen_t2i"], c["unseen"]))
    print("best" if ok else "best (no candidate met the constraints)", json.dumps(best))


if __name__ == "__main__":
    main()
