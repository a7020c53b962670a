"""Training loop: P x K batches, mined triplet loss or ArcFace (+ optional proxy term), constant or cosine
LR, early stopping on held-out MAP@R of both the pooled and the projection layer, then export of the layer
that generalises best.

Two phases when whole characters were held out: the selection run (train split only) picks the epoch
count and the layer and measures generalisation to characters it never saw; it is written to
`selection/`. The final run then trains the same recipe on every label, held-out characters included,
for that many epochs, and is the model written to the output folder: held-out characters are labels
people gave, and leaving them out of the served model would cost their accuracy for nothing."""
import copy
import dataclasses
import math
import os
import random
import shutil
import time

import numpy as np
import torch

from . import resolve_source_onnx
from .data import (DatasetError, ImageCache, PreprocessedItems, load_dataset, open_rgb, preprocess, split_items,
                   synthetic_input, train_transform)
from .dequantize import file_sha256
from .averaging import TailAverage
from .events import emit, log
from .export import StagedOutput, write_model_files
from .losses import (MARGIN, ArcFaceLoss, ProxySoftmaxLoss, cosine_distance_matrix, mine_triplets,
                     multi_similarity_loss, triplet_margin_loss)
from .metrics import retrieval_metrics
from .model import LAYERS, imagenet_embedding_net, load_checkpoint
from .sampler import PKSampler


@dataclasses.dataclass
class TrainConfig:
    dataset: str
    out: str
    epochs: int = 8
    device: str = "auto"
    batch_p: int = 8
    batch_k: int = 4
    dim: int = 128
    input_size: int = None  # None: dataset's input_size, else 160
    init: str = None
    seed: int = 0
    max_steps: int = None
    lr: float = 1e-4
    # measured (docs/trainer-lab-notes.md): full LR on the backbone with the stem + first 3 blocks frozen, stopped
    # early on held-out characters, beat a 0.1x backbone LR on unseen-character 5-shot top-1 and MAP@R
    backbone_lr_scale: float = 1.0
    freeze_blocks: int = 4
    proxy_weight: float = 0.0
    patience: int = 2
    final_refit: bool = True
    final_epochs: int = None  # None: the selection run's best epoch
    source_onnx: str = None  # None: trainer.default_source_onnx()
    # "triplet": the mined triplet loss on the projection; "multi-similarity": the multi-similarity loss
    # with its pair miner on the projection; "arcface": ArcFace over the training labels on the projection
    # (centres learn at lr * centre_lr_scale: at the backbone's rate they barely move)
    loss: str = "triplet"
    arcface_scale: float = 30.0
    arcface_margin: float = 0.3
    centre_lr_scale: float = 10.0
    # "constant" or "cosine" (decays to 0 over the phase's steps, after warmup_epochs of linear warmup)
    lr_schedule: str = "constant"
    warmup_epochs: float = 0.0
    # each batch's characters from one source (the items' "domain": a game, a fan-art set) where it can;
    # off in the shipped recipe: it named trained characters better and new ones worse (trainer-lab-notes.md)
    domain_batches: bool = False
    # None: the best validation epoch is served. N: the mean of the weights after epochs N..last is served
    # (trainer/averaging.py); the final run, when there is one, averages the same tail of its epochs.
    average_from: int = None
    # colour augmentation strength, a key of data.COLOUR_JITTER
    colour_jitter: str = "mild"
    # how often a character is drawn into a batch, a key of sampler.LABEL_WEIGHTING
    label_weighting: str = "uniform"
    # share of examples with one random rectangle blanked (data.train_transform)
    random_erasing: float = 0.0
    # how much further out than the positive the triplet loss wants each negative (cosine distance); the
    # hard + semi-hard miner counts against the same margin
    margin: float = MARGIN
    # which margin-violating triplets the loss learns from, a value of losses.MINING
    mining: str = "all"


def _domains(cfg, items):
    return [it.get("domain", "") for it in items] if cfg.domain_batches else None


def resolve_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda requested but CUDA is not available")
    return torch.device(name)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_net(cfg):
    if cfg.init:
        net, ckpt = load_checkpoint(cfg.init, dim=cfg.dim)
        parent = {"kind": "checkpoint", "id": ckpt.get("id"), "path": os.path.abspath(cfg.init)}
    else:
        source = resolve_source_onnx(cfg.source_onnx)
        net = imagenet_embedding_net(cfg.dim, source, seed=cfg.seed)
        parent = {"kind": "imagenet-int8", "sha256": file_sha256(source), "path": os.path.abspath(source)}
    return net, parent


@torch.no_grad()
def embed(net, inputs, device, batch=64):
    """(pooled, projection), un-normalised, on CPU, for a tensor (or PreprocessedItems) of inputs."""
    net.eval()
    pooled, proj = [], []
    for i in range(0, len(inputs), batch):
        with torch.autocast(device.type, enabled=device.type == "cuda"):
            p, q = net(inputs[i:i + batch].to(device, non_blocking=True))
        pooled.append(p.float().cpu())
        proj.append(q.float().cpu())
    return torch.cat(pooled), torch.cat(proj)


def evaluate(net, inputs, items, device):
    """MAP@R / Recall@1 of both layers over all monitored items, and over each part ("unseen": held-out
    characters, "known": held-out faces of trained characters) when both are there."""
    pooled, proj = embed(net, inputs, device)
    labels, groups = [it["label"] for it in items], [it["group"] for it in items]
    ev = {"pooled": retrieval_metrics(pooled, labels, groups),
          "projection": retrieval_metrics(proj, labels, groups)}
    parts = {"unseen": [i for i, it in enumerate(items) if it["split"] != "test"],
             "known": [i for i, it in enumerate(items) if it["split"] == "test"]}
    if parts["known"] and parts["unseen"]:
        for part, idx in parts.items():
            sub = lambda xs: [xs[i] for i in idx]  # noqa: E731
            ev[part] = {"pooled": retrieval_metrics(pooled[idx], sub(labels), sub(groups)),
                        "projection": retrieval_metrics(proj[idx], sub(labels), sub(groups))}
    return ev


def _best_layer(ev):
    return max(LAYERS, key=lambda l: (ev[l]["map_at_r"], l == "pooled"))


def run(cfg, on_epoch=None):
    """Train and write the output folder. on_epoch(epoch, net) is an optional hook (benchmarks)."""
    t_start = time.time()
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    items, ds_size = load_dataset(cfg.dataset)
    size = cfg.input_size or ds_size or 160
    train_items, val_items, split_info = split_items(items, seed=cfg.seed)
    # "test" items (held-out faces of trained characters) are only watched, never trained on: with
    # them the epoch is chosen on all held-out faces, new characters among known ones.
    test_items = [it for it in items if it["split"] == "test"] if split_info["source"] == "dataset" else []
    split_info["monitor_test_items"] = len(test_items)
    train_labels = sorted({it["label"] for it in train_items})
    if len(train_labels) < 2:
        raise DatasetError("need at least two training labels")
    if not val_items:
        raise DatasetError("validation split is empty")
    staged = StagedOutput(cfg.out)
    work = os.path.join(cfg.out, ".work")
    os.makedirs(work, exist_ok=True)

    net, parent, label_index, heads, opt, scaler = _fresh_run(cfg, device, train_labels)

    cache = ImageCache(max_side=2 * size)
    tf = train_transform(size, colour=cfg.colour_jitter, erasing=cfg.random_erasing)
    monitored = val_items + test_items
    val_inputs = PreprocessedItems(monitored, size)
    sampler = PKSampler([it["label"] for it in train_items], cfg.batch_p, cfg.batch_k, seed=cfg.seed,
                        domains=_domains(cfg, train_items), weighting=cfg.label_weighting)
    steps_per_epoch = len(sampler)
    schedule = lr_schedule(cfg, opt, steps_per_epoch, cfg.epochs)
    emit("start", device=str(device), train_items=len(train_items), val_items=len(val_items),
         train_labels=len(train_labels), val_labels=len({it["label"] for it in val_items}),
         epochs=cfg.epochs, steps_per_epoch=steps_per_epoch, input_size=size, dim=cfg.dim,
         split=split_info, parent=parent)
    log(f"trainer: {len(train_items)} train / {len(val_items)} val items on {device}, {size}px")

    ev = evaluate(net, val_inputs, monitored, device)
    emit("baseline", val=ev)
    best = {"epoch": 0, "score": max(ev[l]["map_at_r"] for l in LAYERS), "eval": ev,
            "state": copy.deepcopy(net.state_dict())}
    best["baseline"] = best["score"]
    history = [{"epoch": 0, "loss": None, "val": ev, "seconds": 0.0}]
    if on_epoch:
        on_epoch(0, net)
    bad_epochs, stop_reason = 0, "epochs"
    tail = TailAverage()
    trainer = _EpochTrainer(cfg, device, cache, tf, schedule)
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.time()
        losses, triplets = trainer.epoch(net, opt, scaler, heads, sampler, train_items, label_index, epoch, "selection")
        if not losses:
            stop_reason = "max_steps"
            break
        ev = evaluate(net, val_inputs, monitored, device)
        seconds = time.time() - t0
        mean_loss = float(np.mean(losses))
        layer = _best_layer(ev)
        history.append({"epoch": epoch, "loss": mean_loss, "val": ev, "seconds": seconds,
                        "mean_triplets": float(np.mean(triplets))})
        emit("epoch", epoch=epoch, epochs=cfg.epochs, loss=mean_loss, val_map_at_r=ev[layer]["map_at_r"],
             val_recall_at_1=ev[layer]["recall_at_1"], layer=layer, val=ev, seconds=round(seconds, 2))
        log(f"epoch {epoch}: loss {mean_loss:.4f} pooled MAP@R {ev['pooled']['map_at_r']:.4f} "
            f"projection MAP@R {ev['projection']['map_at_r']:.4f} ({seconds:.1f}s)")
        _save_atomic({"format": "idoltag-trainer-checkpoint", "version": 1, "epoch": epoch,
                      "state_dict": net.state_dict(), "val": ev}, os.path.join(work, "last.pt"))
        if cfg.average_from and epoch >= cfg.average_from:
            tail.add(net.state_dict(), epoch)
        if on_epoch:
            on_epoch(epoch, net)
        score = max(ev[l]["map_at_r"] for l in LAYERS)
        if score > best["score"]:
            best = {**best, "epoch": epoch, "score": score, "eval": ev, "state": copy.deepcopy(net.state_dict())}
            bad_epochs = 0
        else:
            bad_epochs += 1
            if bad_epochs >= cfg.patience:
                stop_reason = "early_stopping"
                break
        if trainer.exhausted():
            stop_reason = "max_steps"
            break

    served = _served_weights(net, best, tail, lambda: evaluate(net, val_inputs, monitored, device))
    layer = _best_layer(served["eval"])
    samples = _sample_items(val_items or train_items)
    sample_inputs = [preprocess(open_rgb(it["path"]), size) for it in samples]
    final = None
    unseen_val = split_info.get("val_unseen_label_fraction", 0.0) >= 0.5
    # An explicit --final-epochs asks for the final run even when no epoch beat the parent.
    if cfg.final_refit and unseen_val and (served["improved"] or cfg.final_epochs):
        # The selection model goes to selection/ (the Node side measures unseen characters on it).
        selection_id, _ = write_model_files(
            StagedOutput(os.path.join(cfg.out, "selection")), copy.deepcopy(net).cpu(), layer, size, samples,
            sample_inputs, synthetic_input(size), parent,
            {"epoch": served["epoch"], "dim": cfg.dim, "val": served["eval"]},
            {"version": 1, "role": "selection", "best_epoch": best["epoch"], "averaged_epochs": served["averaged"],
             "val": served["eval"]})
        t_final = time.time()
        final_epochs = cfg.final_epochs or served["epoch"]
        all_items = train_items + val_items
        all_labels = sorted({it["label"] for it in all_items})
        emit("stage", stage="final", epochs=final_epochs, items=len(all_items), labels=len(all_labels))
        log(f"final run: {final_epochs} epochs on all {len(all_items)} items ({len(all_labels)} labels)")
        seed_everything(cfg.seed + 1)
        net, _, all_index, heads, opt, scaler = _fresh_run(cfg, device, all_labels)
        all_sampler = PKSampler([it["label"] for it in all_items], cfg.batch_p, cfg.batch_k, seed=cfg.seed + 1,
                                domains=_domains(cfg, all_items), weighting=cfg.label_weighting)
        final_trainer = _EpochTrainer(cfg, device, cache, tf, lr_schedule(cfg, opt, len(all_sampler), final_epochs))
        final_losses, final_tail = [], TailAverage()
        for epoch in range(1, final_epochs + 1):
            losses, _ = final_trainer.epoch(net, opt, scaler, heads, all_sampler, all_items, all_index, epoch, "final")
            if not losses:
                break
            final_losses.append(float(np.mean(losses)))
            emit("epoch", stage="final", epoch=epoch, epochs=final_epochs, loss=final_losses[-1])
            if served["averaged"] and epoch >= cfg.average_from:
                final_tail.add(net.state_dict(), epoch)
        if final_tail.count:
            net.load_state_dict(final_tail.state(net.state_dict()))
        net.eval()
        final = {"epochs": len(final_losses), "items": len(all_items), "labels": all_labels, "losses": final_losses,
                 "steps": final_trainer.step, "seconds": round(time.time() - t_final, 2),
                 "selection_model_id": selection_id, "averaged_epochs": final_tail.epochs or None}
    metrics = {
        "version": 1, "layer": layer, "layer_choice": "higher val MAP@R of the served weights",
        "best_epoch": best["epoch"], "improved_over_parent": served["improved"],
        # "val" is the served weights' (the tail average's when averaged_epochs is set)
        "averaged_epochs": served["averaged"], "val": served["eval"], "epochs_run": len(history) - 1,
        "steps": trainer.step, "stop_reason": stop_reason,
        "split": split_info, "train_items": len(train_items), "val_items": len(val_items),
        "train_labels": train_labels, "history": history, "device": str(device),
        "seconds": None, "config": dataclasses.asdict(cfg),
        # With a final run, "val" is the selection model's: the served model has seen those characters.
        "final": final, "val_from": "selection" if final else "served",
    }
    metrics["seconds"] = round(time.time() - t_start, 2)
    model_id, metrics = write_model_files(
        staged, net.cpu(), layer, size, samples, sample_inputs, synthetic_input(size), parent,
        {"epoch": served["epoch"], "dim": cfg.dim, "val": served["eval"]}, metrics)
    shutil.rmtree(work, ignore_errors=True)
    metrics["id"] = model_id
    done_keys = ("id", "layer", "best_epoch", "averaged_epochs", "val", "epochs_run", "steps", "stop_reason",
                 "improved_over_parent", "seconds", "export", "final", "val_from")
    emit("done", metrics={k: metrics[k] for k in done_keys})
    return metrics


def _served_weights(net, best, tail, judge):
    """Loads the weights to serve into net: the tail average when epochs were averaged, else the best epoch.
    Returns {"epoch": the last epoch they include, "eval", "averaged": [epochs] or None, "improved"}."""
    if not tail.count:
        net.load_state_dict(best["state"])
        return {"epoch": best["epoch"], "eval": best["eval"], "averaged": None, "improved": best["epoch"] > 0}
    net.load_state_dict(tail.state(net.state_dict()))
    ev = judge()
    emit("average", epochs=tail.epochs, val=ev)
    log(f"served: the mean of epochs {tail.epochs[0]}-{tail.epochs[-1]}, pooled MAP@R {ev['pooled']['map_at_r']:.4f} "
        f"projection MAP@R {ev['projection']['map_at_r']:.4f}")
    return {"epoch": tail.epochs[-1], "eval": ev, "averaged": list(tail.epochs),
            "improved": max(ev[l]["map_at_r"] for l in LAYERS) > best["baseline"]}


def _fresh_run(cfg, device, labels):
    """The starting network (never random weights), label ids, optional proxy term, optimiser, scaler."""
    net, parent = build_net(cfg)
    net.freeze_blocks(cfg.freeze_blocks)
    net.to(device)
    label_index = {l: i for i, l in enumerate(labels)}
    heads = {}
    if cfg.proxy_weight > 0:
        heads["proxy"] = ProxySoftmaxLoss(len(labels), cfg.dim).to(device)
    if cfg.loss == "arcface":
        heads["arcface"] = ArcFaceLoss(len(labels), cfg.dim, cfg.arcface_scale, cfg.arcface_margin).to(device)
    elif cfg.loss not in ("triplet", "multi-similarity"):
        raise ValueError(f"unknown loss {cfg.loss!r} (triplet, multi-similarity or arcface)")
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")
    return net, parent, label_index, heads, _optimizer(cfg, net, heads), scaler


def _optimizer(cfg, net, heads):
    backbone = [p for p in net.features.parameters() if p.requires_grad]
    head = list(net.projection.parameters()) + (list(heads["proxy"].parameters()) if "proxy" in heads else [])
    groups = [{"params": head, "lr": cfg.lr}]
    if "arcface" in heads:
        groups.append({"params": list(heads["arcface"].parameters()), "lr": cfg.lr * cfg.centre_lr_scale})
    if backbone and cfg.backbone_lr_scale > 0:
        groups.append({"params": backbone, "lr": cfg.lr * cfg.backbone_lr_scale})
    else:
        for p in backbone:
            p.requires_grad_(False)
    return torch.optim.Adam(groups)


def lr_schedule(cfg, opt, steps_per_epoch, epochs):
    """Per-step LambdaLR: constant, or linear warmup then cosine decay to 0 at the phase's last step."""
    total = max(1, steps_per_epoch * epochs)
    if cfg.max_steps is not None:
        total = max(1, min(total, cfg.max_steps))
    warmup = min(int(round(cfg.warmup_epochs * steps_per_epoch)), total - 1)
    if cfg.lr_schedule not in ("constant", "cosine"):
        raise ValueError(f"unknown lr schedule {cfg.lr_schedule!r} (constant or cosine)")

    def factor(step):
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if cfg.lr_schedule == "constant":
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))
    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


class _EpochTrainer:
    """One pass of P x K batches; counts steps across epochs so --max-steps bounds a whole phase."""

    def __init__(self, cfg, device, cache, tf, schedule=None):
        self.cfg, self.device, self.cache, self.tf = cfg, device, cache, tf
        self.schedule = schedule
        self.step = 0

    def exhausted(self):
        return self.cfg.max_steps is not None and self.step >= self.cfg.max_steps

    def epoch(self, net, opt, scaler, heads, sampler, items, label_index, epoch, phase):
        cfg, device = self.cfg, self.device
        step_every = max(1, len(sampler) // 4)
        net.train()
        losses, triplets = [], []
        for batch in sampler:
            if self.exhausted():
                break
            x = torch.stack([self.tf(self.cache.get(items[i]["path"])) for i in batch]).to(device, non_blocking=True)
            y = torch.tensor([label_index[items[i]["label"]] for i in batch], device=device)
            with torch.autocast(device.type, enabled=device.type == "cuda"):
                _, proj = net(x)
            proj = proj.float()
            if cfg.loss == "triplet":
                loss, n_trip = triplet_margin_loss(proj, y, cfg.margin, cfg.mining)
            else:
                loss = heads["arcface"](proj, y) if "arcface" in heads else multi_similarity_loss(proj, y)[0]
                # still counted, so that batches' hardness compares across losses
                n_trip = int(mine_triplets(cosine_distance_matrix(proj.detach()), y, cfg.margin)[0].numel())
            if "proxy" in heads:
                loss = loss + cfg.proxy_weight * heads["proxy"](proj, y)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            if self.schedule is not None:
                self.schedule.step()
            self.step += 1
            losses.append(float(loss))
            triplets.append(n_trip)
            if self.step % step_every == 0:
                emit("step", stage=phase, epoch=epoch, step=self.step, loss=float(loss), triplets=n_trip)
        return losses, triplets


def _sample_items(items, n=4):
    ordered = sorted(items, key=lambda it: it["path"])
    stride = max(1, len(ordered) // n)
    return ordered[::stride][:n]


def _save_atomic(obj, path):
    tmp = path + ".partial"
    torch.save(obj, tmp)
    os.replace(tmp, path)
