"""Benchmark on the shared data sets (../shared/data): train with some characters held out entirely, and score
the held-out characters each epoch (pretrained vs fine-tuned, pooled vs projection).

python3 -m trainer.bench --out bench/results/trainer-cpu.json [--recipes issue,freeze4] [--folds A,B] [--epochs 6]
"""
import argparse
import json
import os
import sys
import time

import torch

from . import events
from .data import ImageCache, preprocess
from .metrics import nearest_class_mean_top1, retrieval_metrics
from .shared_data import dataset_doc, shared_items
from .train import TrainConfig, embed, resolve_device, run

FOLDS = {
    "A": ["hatsune_miku", "shana", "suzukaze_aoba", "nishikino_maki", "toyama_rin"],
    "B": ["akiyama_mio", "hakurei_reimu", "yagami_kou", "sakurauchi_riko", "sakura_nene"],
}
RECIPES = {
    # the recipe: one LR everywhere, nothing frozen, triplet loss only
    "issue": dict(backbone_lr_scale=1.0, freeze_blocks=0),
    # conservative: backbone at 0.1x LR, stem + first 3 blocks frozen
    "slow-backbone": dict(backbone_lr_scale=0.1, freeze_blocks=4),
    # the recipe plus a normalised-softmax proxy term over the training characters
    "issue+proxy": dict(backbone_lr_scale=1.0, freeze_blocks=0, proxy_weight=1.0),
    # the recipe with the stem and first 3 blocks frozen: the trainer's defaults
    "freeze4": dict(backbone_lr_scale=1.0, freeze_blocks=4),
}


def score(emb, items):
    labels = [it["label"] for it in items]
    out = retrieval_metrics(emb, labels, [it["group"] for it in items])
    out["closed_set_top1"] = nearest_class_mean_top1(emb, labels)
    out["five_shot_top1"] = nearest_class_mean_top1(emb, labels, shots=5, episodes=50, seed=0)
    return out


def val_selected_epoch(history, patience):
    """The epoch the trainer's early stopping keeps (best val MAP@R of either layer)."""
    best, best_score, bad = 0, -1.0, 0
    for h in history:
        s = max(h["val"]["pooled"]["map_at_r"], h["val"]["projection"]["map_at_r"])
        if s > best_score:
            best, best_score, bad = h["epoch"], s, 0
        else:
            bad += 1
            if bad >= patience:
                break
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--recipes", default=",".join(RECIPES))
    ap.add_argument("--folds", default=",".join(FOLDS))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--work", default="/tmp/trainer-bench")
    ap.add_argument("--summarise-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(args.work, exist_ok=True)
    results = {"runs": []}
    if os.path.exists(args.out):
        with open(args.out) as f:
            results = json.load(f)
    if args.summarise_only:
        _write(args.out, results)
        return 0
    all_items = shared_items()
    for fold in args.folds.split(","):
        test_items = [it for it in all_items if it["label"] in FOLDS[fold]]
        ds_path = os.path.join(args.work, f"fold{fold}.json")
        with open(ds_path, "w") as f:
            json.dump(dataset_doc([it for it in all_items if it["label"] not in FOLDS[fold]]), f)
        cache = ImageCache()
        test_inputs = torch.stack([preprocess(cache.get(it["path"]), 160) for it in test_items])
        for recipe in args.recipes.split(","):
            per_epoch = []

            def on_epoch(epoch, net):
                t = time.time()
                pooled, proj = embed(net, test_inputs, resolve_device("auto"))
                per_epoch.append({"epoch": epoch, "pooled": score(pooled, test_items),
                                  "projection": score(proj, test_items)})
                net.train()
                events.log(f"[{fold}/{recipe}] epoch {epoch} test pooled {per_epoch[-1]['pooled']} "
                           f"proj 5-shot {per_epoch[-1]['projection']['five_shot_top1']:.3f} ({time.time()-t:.1f}s)")

            cfg = TrainConfig(dataset=ds_path, final_refit=False, out=os.path.join(args.work, f"{fold}-{recipe}"),
                              epochs=args.epochs, patience=args.epochs + 1, **RECIPES[recipe])
            metrics = run(cfg, on_epoch=on_epoch)
            hist = metrics["history"]
            for h, e in zip(hist, per_epoch):
                e["val"] = h["val"]
                e["train_loss"] = h["loss"]
                e["seconds"] = round(h["seconds"], 1)
            sel = val_selected_epoch(hist, patience=2)
            layer = max(("pooled", "projection"), key=lambda l: hist[sel]["val"][l]["map_at_r"])
            results["runs"] = [r for r in results["runs"] if (r["fold"], r["recipe"]) != (fold, recipe)]
            results["runs"].append({
                "fold": fold, "recipe": recipe, "config": RECIPES[recipe], "test_labels": FOLDS[fold],
                "test_items": len(test_items), "val_labels": metrics["split"]["val_labels"],
                "train_items": metrics["train_items"], "epochs": per_epoch,
                "val_selected": {"epoch": sel, "layer": layer, "test": per_epoch[sel][layer]},
            })
            _write(args.out, results)
    return 0


PROTOCOL = (
    "Data: ../shared/data nagadomi10 + newgame8 + keima3 (20 characters, 1354 crops; lijima_yun merged "
    "into iijima_yun, takimoto_hifumi merged across sets). Two folds; each holds 5 test characters out "
    "entirely (never trained on, never used for early stopping). The trainer holds out a further ~20% of "
    "the remaining 15 characters (3, seed 0) as its validation set for early stopping, and trains on the "
    "other 12 (~780 crops). 160 px, P=8 x K=4, Adam 1e-4, margin-0.2 cosine triplet loss with in-batch "
    "hard+semi-hard mining, augmentation as in data.py, 2 CPU threads. Test metrics on the held-out "
    "characters every epoch (epoch 0 = de-quantised ImageNet weights, projection randomly initialised): "
    "closed_set_top1 = leave-one-out nearest-class-mean (cosine) over all test characters; "
    "five_shot_top1 = nearest-class-mean with 5 random support crops per character, rest queries, mean "
    "of 50 episodes; map_at_r / recall_at_1 = retrieval among test crops. val_selected = the epoch and "
    "layer the trainer's early stopping (patience 2 on max val MAP@R of either layer) would export."
)


def summarise(runs):
    out = {}
    for recipe in sorted({r["recipe"] for r in runs}):
        rs = [r for r in runs if r["recipe"] == recipe]
        n = min(len(r["epochs"]) for r in rs)
        rows = []
        for e in range(n):
            row = {"epoch": e, "seconds": _mean([r["epochs"][e].get("seconds", 0) for r in rs])}
            for layer in ("pooled", "projection"):
                for key in ("closed_set_top1", "five_shot_top1", "map_at_r"):
                    row[f"{layer}_{key}"] = _mean([r["epochs"][e][layer][key] for r in rs])
            rows.append(row)
        sel = [r["val_selected"] for r in rs]
        out[recipe] = {"folds": [r["fold"] for r in rs], "mean_over_folds_by_epoch": rows,
                       "val_selected": {"epochs": [s["epoch"] for s in sel], "layers": [s["layer"] for s in sel],
                                        "closed_set_top1": _mean([s["test"]["closed_set_top1"] for s in sel]),
                                        "five_shot_top1": _mean([s["test"]["five_shot_top1"] for s in sel]),
                                        "map_at_r": _mean([s["test"]["map_at_r"] for s in sel])}}
    return out


def _mean(xs):
    return round(sum(xs) / len(xs), 4) if xs else None


def _write(path, results):
    results["protocol"] = PROTOCOL
    results["machine"] = f"CPU, {os.cpu_count()} cores, torch {torch.__version__}, 2 threads"
    results["summary"] = summarise(results["runs"])
    with open(path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
