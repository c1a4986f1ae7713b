"""In-training recall monitor on held-out OpenMoji art (the reported numbers come from `clipdex eval`)."""
import torch

from .data import load_style, normalize


class OpenMojiMonitor:
    def __init__(self, data_dir, captions, concepts_meta):
        idx, px = load_style(data_dir, "openmoji")
        self.concept = torch.from_numpy(idx)
        self.pixels = torch.from_numpy(px).permute(0, 3, 1, 2).float().div(255)
        self.held = torch.tensor([concepts_meta[i]["heldOut"] for i in idx.tolist()])
        self.captions = captions

    @torch.no_grad()
    def run(self, model, langs=("en", "zh")):
        model.eval()
        img = torch.cat([model.vision(normalize(self.pixels[i:i + 256])) for i in range(0, len(self.pixels), 256)])
        out = {}
        for lang in langs:
            rows, ids = [], []
            for r, c in enumerate(self.concept.tolist()):
                lab = self.captions.label(c, lang)
                if lab:
                    rows.append(r)
                    ids.append(self.captions.pad(lab))
            rows = torch.tensor(rows)
            txt = torch.cat([model.text(torch.tensor(ids[i:i + 512])) for i in range(0, len(ids), 512)])
            sims = txt @ img.T  # caption r ↔ image rows[r]
            rank_of_true = (sims > sims[torch.arange(len(rows)), rows].unsqueeze(1)).sum(1)
            held = self.held[rows]
            for name, m in (("seen", ~held), ("unseen", held)):
                out[f"{lang}_{name}_r5"] = 100 * (rank_of_true[m] < 5).float().mean().item()
            out[f"{lang}_seen_r1"] = 100 * (rank_of_true[~held] < 1).float().mean().item()
        model.train()
        return out
