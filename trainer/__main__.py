"""CLI: python3 -m trainer {train,export-base,make-shared-dataset} ...  (see trainer/README.md)."""
import argparse
import json
import os
import signal
import sys
import traceback

import torch

from . import events
from .data import COLOUR_JITTER
from .losses import MINING
from .model import FEATURE_BLOCKS
from .sampler import LABEL_WEIGHTING


def _share(text):
    """An argparse type: a share of examples, 0 to 1, refused before any work starts."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share of examples, 0 to 1, not {text}")
    return value


def _margin(text):
    """An argparse type: a triplet margin on cosine distance, which lies between 0 and 2."""
    value = float(text)
    if not 0.0 < value < 2.0:
        raise argparse.ArgumentTypeError(f"a cosine-distance margin, above 0 and below 2, not {text}")
    return value


def _blocks(text):
    """An argparse type: how many of the backbone's leading feature blocks stay frozen, 0 to FEATURE_BLOCKS."""
    value = int(text)
    if not 0 <= value <= FEATURE_BLOCKS:
        raise argparse.ArgumentTypeError(f"a count of frozen feature blocks, 0 to {FEATURE_BLOCKS}, not {text}")
    return value


def _threads():
    # 2-core CPU boxes: more threads (and busy-waiting OpenMP) make each step several times slower
    torch.set_num_threads(int(os.environ.get("TRAINER_THREADS", "2")))


SOURCE_HELP = ("the INT8 ImageNet MobileNetV2 ONNX to start from (default: IDOLTAG_SOURCE_ONNX, else "
               "mobilenetv2_12_int8/ in IDOLTAG_MODEL_MIRROR or ../shared/data/models)")

# The training options that `train` and `build-default` share: flag, argparse keywords, what it sets, and train's
# default (TrainConfig's) for its help. Unset, each is None: train keeps TrainConfig's default, build-default its
# RECIPE's.
TRAINING_OPTIONS = (
    ("--epochs", dict(type=int), "training epochs", "8"),
    ("--input-size", dict(type=int), "input size in pixels", "the dataset's input_size, else 160"),
    ("--max-steps", dict(type=int), "stop after this many training steps", None),
    ("--batch-p", dict(type=int), "characters per batch", "8"),
    ("--batch-k", dict(type=int), "faces per character per batch", "4"),
    ("--loss", dict(choices=["triplet", "multi-similarity", "arcface"]), "the loss on the projection", "triplet"),
    ("--seed", dict(type=int), "random seed: the split, the batches, the augmentation, the projection's start", "0"),
    ("--freeze-blocks", dict(type=_blocks),
     "leading feature blocks kept frozen: the stem, then inverted-residual blocks", "4"),
    ("--domain-batches", dict(action=argparse.BooleanOptionalAction),
     "draw each batch's characters from one source (the items' domain) where it can", None),
    ("--colour-jitter", dict(choices=list(COLOUR_JITTER)), "colour augmentation strength", "mild"),
    ("--label-weighting", dict(choices=list(LABEL_WEIGHTING)),
     "how often a character is drawn into a batch: alike, or by the square root of its faces", None),
    ("--random-erasing", dict(type=_share), "share of training examples with one random rectangle blanked", "0"),
    ("--margin", dict(type=_margin), "triplet margin on cosine distance", "0.2"),
    ("--mining", dict(choices=list(MINING)),
     "triplets learnt from: every margin-violating one, or the semi-hard ones alone", "all"),
    ("--average-from", dict(type=int),
     "serve the mean of the weights after this epoch and every later one", "the best epoch"),
)
# What two of them mean to build-default, which trains several runs and soups them.
RECIPE_HELP = {"--seed": "one run, with this seed",
               "--average-from": "average each run's weights from this epoch on (0: serve its best epoch)"}
# build-default, which takes no ArcFace settings, offers the other two losses only.
BUILD_DEFAULT_LOSSES = ["triplet", "multi-similarity"]


def _dest(flag):
    return flag[2:].replace("-", "_")


def _add_training_options(parser, recipe):
    """Declares TRAINING_OPTIONS, --device and --source-onnx on `parser`: train's (recipe False) name their
    default, build-default's (recipe True) say that they override the recipe."""
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None,
                        help="where to train: auto takes CUDA where there is one (default: auto)")
    parser.add_argument("--source-onnx", default=None, help=SOURCE_HELP)
    for flag, keywords, what, default in TRAINING_OPTIONS:
        if recipe:
            if flag == "--loss":
                keywords = dict(keywords, choices=BUILD_DEFAULT_LOSSES)
            parser.add_argument(flag, default=None, help=f"override the recipe: {RECIPE_HELP.get(flag, what)}",
                                **keywords)
        else:
            parser.add_argument(flag, default=None, help=f"{what} (default: {default})" if default else what,
                                **keywords)


def _parser():
    ap = argparse.ArgumentParser(prog="python3 -m trainer")
    sub = ap.add_subparsers(dest="command", required=True)
    # the CG icon snapshots that `dataset cgss` and `build-default` read
    cgss = argparse.ArgumentParser(add_help=False)
    cgss.add_argument("--snapshot", action="append", required=True, help="an extracted repository snapshot (repeat)")
    cgss.add_argument("--holdout", default=None, help="split file (default: trainer/cgss_split.json)")
    t = sub.add_parser("train", help="fine-tune the backbone on a dataset.json")
    t.add_argument("--dataset", required=True)
    t.add_argument("--out", required=True, help="staging folder for model.onnx & co")
    _add_training_options(t, recipe=False)
    t.add_argument("--dim", type=int, default=128)
    t.add_argument("--init", default=None, help="checkpoint.pt of an earlier run (default: ImageNet weights)")
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--backbone-lr-scale", type=float, default=None)
    t.add_argument("--proxy-weight", type=float, default=None)
    t.add_argument("--patience", type=int, default=None)
    t.add_argument("--no-final-refit", dest="final_refit", action="store_false", default=None,
                   help="serve the selection run's model instead of retraining on every label")
    t.add_argument("--final-epochs", type=int, default=None, help="epochs of the final run (default: the best epoch)")
    t.add_argument("--arcface-scale", type=float, default=None)
    t.add_argument("--arcface-margin", type=float, default=None)
    t.add_argument("--centre-lr-scale", type=float, default=None, help="ArcFace centres' LR as a multiple of --lr")
    t.add_argument("--lr-schedule", choices=["constant", "cosine"], default=None)
    t.add_argument("--warmup-epochs", type=float, default=None)
    b = sub.add_parser("export-base", help="write the de-quantised ImageNet backbone as a version-0 model")
    b.add_argument("--out", required=True)
    b.add_argument("--input-size", type=int, default=160)
    b.add_argument("--dataset", default=None, help="optional: take parity sample crops from here")
    b.add_argument("--source-onnx", default=None, help=SOURCE_HELP)
    m = sub.add_parser("make-shared-dataset",
                       help="dataset.json from the shared face-crop sets (IDOLTAG_SHARED_DATA, else ../shared/data)")
    m.add_argument("--out", required=True)
    m.add_argument("--exclude-labels", default="", help="comma-separated labels to leave out")
    m.add_argument("--input-size", type=int, default=160)
    d = sub.add_parser("dataset", parents=[cgss], help="dataset.json from snapshots of public idol-icon repositories")
    d.add_argument("kind", choices=["cgss"])
    d.add_argument("--out", required=True, help="dataset.json to write")
    d.add_argument("--crops-dir", default=None, help="default: crops/ beside --out")
    d.add_argument("--heldout-dir", default=None,
                   help="ImageFolder tree of the held-out idols (default: heldout/ beside --out)")
    d.add_argument("--input-size", type=int, default=160)
    g = sub.add_parser("build-default", parents=[cgss],
                       help="the shipped embedder: dataset cgss + train with the chosen recipe")
    g.add_argument("--out", required=True, help="output folder (the trainer's staging-folder contract)")
    g.add_argument("--work", required=True, help="folder for crops, the held-out tree and dataset.json")
    _add_training_options(g, recipe=True)
    g.add_argument("--seeds", default=None, help="override the recipe: comma-separated seeds of the runs to soup")
    g.add_argument("--soup", choices=["uniform", "greedy"], default=None, help="override the recipe: how to soup")
    g.add_argument("--jobs", type=int, default=None,
                   help="runs trained at once (default: one per thread of TRAINER_THREADS on a CPU, one on a GPU)")
    g.add_argument("--shared-train", default=None,
                   help="comma-separated shared sets whose training rows join the CG icons "
                        "(default: the recipe's, nagadomi10; '' for none)")
    s = sub.add_parser("soup", help="average the weights of runs of one recipe (greedy, on validation MAP@R)")
    s.add_argument("--dataset", required=True, help="the runs' dataset.json (its validation idols choose)")
    s.add_argument("--checkpoint", action="append", required=True, help="a run's checkpoint.pt (repeat)")
    s.add_argument("--out", required=True, help="output folder (the trainer's staging-folder contract)")
    s.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    s.add_argument("--uniform", action="store_true", help="average every checkpoint (default: greedy)")
    return ap


def _train(args):
    from .train import TrainConfig, run
    cfg = TrainConfig(dataset=args.dataset, out=args.out)
    shared = ["device", "source_onnx"] + [_dest(option[0]) for option in TRAINING_OPTIONS]
    for field in shared + ["dim", "init", "lr", "backbone_lr_scale", "proxy_weight", "patience", "final_refit",
                           "final_epochs", "arcface_scale", "arcface_margin", "centre_lr_scale", "lr_schedule",
                           "warmup_epochs"]:
        value = getattr(args, field)
        if value is not None:
            setattr(cfg, field, value)
    run(cfg)


def _export_base(args):
    from .base import export_base
    export_base(args.out, args.input_size, args.dataset, args.source_onnx)


def _make_shared(args):
    from .shared_data import dataset_doc, shared_items
    drop = {s for s in args.exclude_labels.split(",") if s}
    items = [it for it in shared_items() if it["label"] not in drop]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(dataset_doc(items, args.input_size), f)
    events.emit("done", items=len(items), labels=len({it["label"] for it in items}))


def _dataset(args):
    from .cgss import SPLIT_FILE, build
    build(args.snapshot, args.out, args.crops_dir, args.heldout_dir, args.holdout or SPLIT_FILE, args.input_size)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def _build_default(args):
    from .build_default import SHARED_TRAIN, build_default
    from .cgss import SPLIT_FILE
    # Its runs train in worker processes. SIGTERM's default would end this process alone and leave them
    # training for up to an hour; as an exception it unwinds through the pool, which terminates them.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    keys = ["device"] + [_dest(option[0]) for option in TRAINING_OPTIONS] + ["soup", "jobs"]
    overrides = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    if args.seeds is not None:
        overrides["seeds"] = [int(s) for s in args.seeds.split(",") if s.strip()]
    shared = SHARED_TRAIN if args.shared_train is None else tuple(s for s in args.shared_train.split(",") if s)
    build_default(args.snapshot, args.out, args.work, args.source_onnx, args.holdout or SPLIT_FILE, overrides, shared)


def _soup(args):
    from .soup import make_soup
    make_soup(args.checkpoint, args.dataset, args.out, args.device, uniform=args.uniform)


def main(argv=None):
    events.STREAM = sys.stdout
    sys.stdout = sys.stderr  # stray prints (torch.onnx, warnings) must not corrupt the JSON-lines stream
    _threads()
    args = _parser().parse_args(argv)
    try:
        {"train": _train, "export-base": _export_base, "make-shared-dataset": _make_shared,
         "dataset": _dataset, "build-default": _build_default, "soup": _soup}[args.command](args)
    except Exception as exc:  # report every failure on the protocol, then exit nonzero
        traceback.print_exc(file=sys.stderr)
        events.emit("error", message=f"{type(exc).__name__}: {exc}")
        return 2 if type(exc).__name__ in ("DatasetError", "SnapshotError") else 1
    finally:
        sys.stdout = events.STREAM
    return 0


if __name__ == "__main__":
    sys.exit(main())
