"""Training throughput in images/s, on CUDA (AMP, cudnn.benchmark) or the CPU, as the trainer trains.

    python3 -m trainer.throughput [--device auto|cpu|cuda] [--steps 30] [--batch-p 8] [--batch-k 4]
                                  [--input-size 160] [--dataset DATASET.json] [--out RESULT.json]

Two figures, because on a GPU the CPU-side decoding and augmentation can be the limit:
- end_to_end: the training loop as `trainer train` runs it (augment on the CPU, step on the device);
- model_only: the same steps on batches prepared beforehand (forward, mined triplet loss, backward).
Without --dataset it uses the face-crop sets in IDOLTAG_SHARED_DATA (default ../shared/data beside the
checkout). Prints one JSON object.
"""
import argparse
import json
import os
import platform
import time

import torch

from .data import ImageCache, load_dataset, train_transform
from .losses import MARGIN, triplet_margin_loss
from .model import imagenet_embedding_net
from .sampler import PKSampler
from .shared_data import shared_items
from .train import _optimizer, resolve_device, seed_everything


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def _cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        model = None
    return f"{model or platform.machine()} ({os.cpu_count()} logical CPUs)"


def measure(device_name="auto", steps=30, batch_p=8, batch_k=4, input_size=160, items=None, warmup=3):
    seed_everything(0)
    device = resolve_device(device_name)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    items = items if items is not None else shared_items()
    labels = sorted({it["label"] for it in items})
    index = {l: i for i, l in enumerate(labels)}
    net = imagenet_embedding_net(128)
    net.freeze_blocks(4)
    net.to(device).train()

    class _Cfg:  # what _optimizer reads
        lr, backbone_lr_scale = 1e-4, 1.0
    opt = _optimizer(_Cfg, net, {})
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")
    cache, tf = ImageCache(max_side=2 * input_size), train_transform(input_size)
    sampler = PKSampler([it["label"] for it in items], batch_p, batch_k, batches_per_epoch=warmup + steps, seed=0)

    def step(x, y):
        with torch.autocast(device.type, enabled=device.type == "cuda"):
            _, proj = net(x)
        loss, _ = triplet_margin_loss(proj.float(), y, MARGIN)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    def batch_of(ids):
        x = torch.stack([tf(cache.get(items[i]["path"])) for i in ids]).to(device, non_blocking=True)
        return x, torch.tensor([index[items[i]["label"]] for i in ids], device=device)

    batches = list(sampler)
    for ids in batches[:warmup]:
        step(*batch_of(ids))
    _sync(device)
    # The two kinds of step alternate, so a machine whose load changes during the run slows both alike
    # and their ratio holds (run one after the other, a busy spell landed on one of them only).
    prepared = [batch_of(ids) for ids in batches[warmup:]]
    end_to_end = model_only = 0.0
    for ids, (x, y) in zip(batches[warmup:], prepared):
        t0 = time.perf_counter()
        step(*batch_of(ids))
        _sync(device)
        end_to_end += time.perf_counter() - t0
        t0 = time.perf_counter()
        step(x, y)
        _sync(device)
        model_only += time.perf_counter() - t0

    images = steps * batch_p * batch_k
    return {
        "benchmark": "trainer-throughput",
        "device": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name(),
        "amp": device.type == "cuda",
        "torch": torch.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "threads": torch.get_num_threads(),
        "input_size": input_size,
        "batch": f"{batch_p}x{batch_k}",
        "steps": steps,
        "end_to_end_images_per_second": round(images / end_to_end, 1),
        "model_only_images_per_second": round(images / model_only, 1),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m trainer.throughput")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch-p", type=int, default=8)
    ap.add_argument("--batch-k", type=int, default=4)
    ap.add_argument("--input-size", type=int, default=160)
    ap.add_argument("--dataset", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("TRAINER_THREADS", "2")))
    items = load_dataset(args.dataset)[0] if args.dataset else None
    result = measure(args.device, args.steps, args.batch_p, args.batch_k, args.input_size, items)
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
