"""build-default: the shipped idol-face embedder in one command, from clones of the CG icon repositories.

dataset cgss (crops, held-out ImageFolder tree, dataset.json in --work) -> train with RECIPE -> the
held-out judge on the held-out idols -> the output folder made portable (no machine paths)."""
import json
import os
import time

import torch

from . import resolve_source_onnx
from .cgss import SPLIT_FILE, build
from .events import emit, log
from .heldout_eval import evaluate_folder
from .model import load_checkpoint
from .soup import make_soup

# The recipe study (docs/trainer-lab-notes.md) chose these; every other TrainConfig field keeps its default.
RECIPE = {
    "loss": "triplet", "lr_schedule": "cosine", "warmup_epochs": 0.3, "lr": 1e-4, "epochs": 16, "input_size": 224,
    "patience": 1000,  # a cosine schedule is judged at its end, not stopped half-way
    "final_refit": False,  # the validation idols stay unseen; a second full run would double the time
    # Three runs that differ only in their seed, averaged weight for weight (trainer/soup.py): single
    # runs of this recipe scattered by up to 0.11 on the product's measurement sets; their average
    # sits at or above their mean on each, at one network's inference cost.
    "seeds": [0, 1, 2], "soup": "uniform",
    # Each run serves the mean of its weights over the second half of the cosine schedule (epochs 9-16), not the
    # epoch its 12 validation idols pick: in one run the tail average beat that epoch on the held-out idols, DLC and
    # nagadomi10 (bench/results/tail-average-probe-2026-12-02.json).
    "average_from": 9,
}
# Other franchises' faces trained on beside the CG icons: only the rows their source marks as training data.
SHARED_TRAIN = ("nagadomi10",)
MODEL_FILES = ("model.json", "samples.json", "metrics.json", "checkpoint.pt")


def portable(value, base):
    """Strings that are absolute paths become relative to base (when under it) or bare file names."""
    if isinstance(value, dict):
        return {k: portable(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [portable(v, base) for v in value]
    if isinstance(value, str) and os.path.isabs(value):
        rel = os.path.relpath(value, base)
        return rel if not rel.startswith("..") else os.path.basename(value)
    return value


def make_portable(model_dir, base):
    """Rewrites a trainer output folder (and its selection/) so that it names no folder of this machine."""
    for folder in (model_dir, os.path.join(model_dir, "selection")):
        if not os.path.isdir(folder):
            continue
        for name in MODEL_FILES:
            path = os.path.join(folder, name)
            if not os.path.exists(path):
                continue
            tmp = f"{path}.partial-{os.getpid()}"
            if name.endswith(".json"):
                with open(path, encoding="utf-8") as f:
                    doc = portable(json.load(f), base)
                with open(tmp, "w", encoding="utf-8") as f:
                    json.dump(doc, f, indent=1, ensure_ascii=False)
            else:
                ckpt = torch.load(path, map_location="cpu")
                state = ckpt.pop("state_dict")
                ckpt = portable(ckpt, base)
                ckpt["state_dict"] = state
                torch.save(ckpt, tmp)
            os.replace(tmp, path)


def add_shared_train(dataset, sets):
    """Appends the training rows of shared face sets to dataset.json; returns {set: faces added}."""
    from .shared_data import source_train_items
    with open(dataset, encoding="utf-8") as f:
        doc = json.load(f)
    added = {}
    for name in sets:
        items = source_train_items(name)
        doc["items"] += items
        added[name] = len(items)
    doc.setdefault("source", {})["shared_train"] = added
    tmp = f"{dataset}.partial-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    os.replace(tmp, dataset)
    return added


def default_jobs(device, runs):
    """Runs trained at once. On a CPU, one per thread of torch's budget (TRAINER_THREADS, 2 by default):
    on the 2-core machines two one-thread runs side by side trained about 1.4x the epochs per hour of
    one two-thread run, three on two cores only about 1.1x (docs/trainer-lab-notes.md). A GPU trains one
    run at a time."""
    from .train import resolve_device
    if resolve_device(device).type == "cuda":
        return 1
    return max(1, min(runs, torch.get_num_threads()))


def train_side_by_side(configs, jobs):
    """The TrainConfigs in waves of `jobs` runs, each run in its own process (spawned: torch and fork do
    not mix) with an equal share of torch's threads, so a last, smaller wave gets more threads per run.
    Returns their metrics in the configs' order; a run that fails fails the whole build."""
    import multiprocessing
    budget = torch.get_num_threads()
    results = []
    for start in range(0, len(configs), jobs):
        wave = configs[start:start + jobs]
        threads = max(1, budget // len(wave))
        for cfg in wave:
            emit("stage", stage="train", seed=cfg.seed, seeds=[c.seed for c in configs], jobs=jobs, threads=threads)
        with multiprocessing.get_context("spawn").Pool(len(wave)) as pool:
            results += pool.starmap(_train_in_child, [(cfg, threads) for cfg in wave])
    return results


def _train_in_child(cfg, threads):
    import sys
    from . import events
    from .train import run
    torch.set_num_threads(threads)
    events.STREAM = sys.stdout
    sys.stdout = sys.stderr  # as in __main__: stray prints must not corrupt the JSON-lines stream
    events.CONTEXT = {"seed": cfg.seed}
    events.PREFIX = f"[seed {cfg.seed}] "
    return run(cfg)


def build_default(snapshots, out, work, source_onnx=None, split_file=SPLIT_FILE, overrides=None,
                  shared_train=SHARED_TRAIN):
    from .train import TrainConfig, run
    t0 = time.time()
    source_onnx = resolve_source_onnx(source_onnx)
    work = os.path.abspath(work)
    os.makedirs(work, exist_ok=True)
    dataset = os.path.join(work, "dataset.json")
    settings = {**RECIPE, **(overrides or {})}
    summary = build(snapshots, dataset, split_file=split_file, input_size=settings["input_size"])
    summary["shared_train"] = add_shared_train(dataset, shared_train)
    emit("stage", stage="dataset", **summary)
    # One seed trains straight into out; several are trained apart and souped (trainer/soup.py).
    seeds = [settings.pop("seed")] if "seed" in settings else list(settings.get("seeds") or [0])
    settings.pop("seeds", None)
    uniform = settings.pop("soup", "uniform") == "uniform"
    jobs = settings.pop("jobs", None) or default_jobs(settings.get("device", "auto"), len(seeds))
    configs = []
    for seed in seeds:
        cfg = TrainConfig(dataset=dataset, out=out if len(seeds) == 1 else os.path.join(work, "runs", f"seed-{seed}"),
                          source_onnx=source_onnx, seed=seed)
        for key, value in settings.items():
            setattr(cfg, key, value)
        configs.append(cfg)
    if jobs > 1:
        results = train_side_by_side(configs, jobs)
    else:
        results = []
        for cfg in configs:
            emit("stage", stage="train", seed=cfg.seed, seeds=seeds, jobs=1)
            results.append(run(cfg))
    runs = [(cfg.out, metrics) for cfg, metrics in zip(configs, results)]
    metrics = runs[0][1]
    if len(seeds) > 1:
        metrics = make_soup([os.path.join(d, "checkpoint.pt") for d, _ in runs], dataset, out,
                            settings.get("device", "auto"), names=[f"seed-{seed}" for seed in seeds], uniform=uniform)
    net, ckpt = load_checkpoint(os.path.join(out, "checkpoint.pt"))
    heldout = evaluate_folder(net, os.path.join(work, "heldout"), ckpt.get("input_size") or cfg.input_size)
    heldout["exported_layer"] = metrics["layer"]
    with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
        doc = json.load(f)
    if len(seeds) > 1:
        doc["runs"] = [{"seed": seed, "id": m["id"], "best_epoch": m["best_epoch"],
                        "averaged_epochs": m.get("averaged_epochs"), "val": m["val"],
                        "seconds": m["seconds"], "history": m["history"], "config": m["config"]}
                       for seed, (_, m) in zip(seeds, runs)]
    doc["heldout_idols"] = heldout
    recipe = {**settings, "seeds": seeds, "jobs": jobs, "soup": "uniform" if uniform else "greedy",
              "shared_train": list(shared_train)}
    doc["build"] = {"command": "build-default", "recipe": recipe,
                    "dataset": summary, "seconds": round(time.time() - t0, 1)}
    with open(os.path.join(out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
    make_portable(out, work)
    judged = heldout[metrics["layer"]]
    log(f"build-default: {doc['build']['seconds']} s; held-out idols {metrics['layer']} "
        f"MAP@R {judged['map_at_r']:.3f}, 5-shot top-1 {judged['5_shot_top1']:.3f}")
    emit("built", out=os.path.basename(os.path.abspath(out)), seconds=doc["build"]["seconds"], heldout_idols=heldout)
    return doc
