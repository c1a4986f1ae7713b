"""Chooses the checkpoint and the ITM weight (alpha: rank by alpha * itm + dual logit) on the
validation style only (EmojiOne 1; OpenMoji, the test style, is never read here).

Rule: the largest mean text→image R@1 gain on seen concepts (en, zh), among the (checkpoint, alpha)
whose image→text R@1 on seen concepts and whose mean R@1 over unseen concepts (both directions,
en + zh) are no worse than the dual encoder's.

  /usr/bin/python3 -m clipitm.select .out/itm/frozen/train-log.jsonl [.out/itm/tuned/train-log.jsonl ...]
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


def candidates(path):
    for rec in rows(path):
        val = rec["val"]
        for a in ALPHAS:
            seen_t2i = sum(r1(val, f"{l}_seen_t2i_{a}") - r1(val, f"{l}_seen_t2i_dual") for l in ("en", "zh")) / 2
            seen_i2t = sum(r1(val, f"{l}_seen_i2t_{a}") - r1(val, f"{l}_seen_i2t_dual") for l in ("en", "zh")) / 2
            unseen = sum(r1(val, f"{l}_unseen_{d}_{a}") - r1(val, f"{l}_unseen_{d}_dual") for l in ("en", "zh") for d in ("t2i", "i2t")) / 4
            yield {"log": path, "step": rec["step"], "alpha": a, "seen_t2i": round(seen_t2i, 2), "seen_i2t": round(seen_i2t, 2),
                   "unseen": round(unseen, 2), "en": r1(val, f"en_seen_t2i_{a}"), "zh": r1(val, f"zh_seen_t2i_{a}")}


def main():
    cands = [c for path in sys.argv[1:] for c in candidates(path) if c["step"] > 0]
    for c in cands:
        if c["alpha"] == 1.0:
            print(json.dumps(c))
    ok = [c for c in cands if c["seen_i2t"] >= 0 and c["unseen"] >= 0]
    best = max(ok or cands, key=lambda c: (c["seen_t2i"], c["unseen"]))
    print("best" if ok else "best (no candidate met the constraints)", json.dumps(best))


if __name__ == "__main__":
    main()
