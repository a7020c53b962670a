"""Seed-style baseline for bench/run.ts: PyTorch eager ResNet18 at 522 px on the same face crops.

Reads a JSON list of screenshots, each with the face boxes our detector found, decodes the screenshot
with PIL, crops each box, resizes to 522x522, normalises and runs torchvision's resnet18 (random
initialisation: ImageNet weights are not available offline; the architecture, not the weights,
sets the time). Prints one JSON object with per-screenshot and per-crop timings.
"""
import json
import sys
import time

import torch
import torchvision
from PIL import Image

def main() -> None:
    spec = json.load(open(sys.argv[1]))
    threads = int(spec.get("threads", 2))
    torch.set_num_threads(threads)
    size = int(spec.get("size", 522))
    model = torchvision.models.resnet18()  # random init
    model.fc = torch.nn.Identity()  # the 512-d pooled feature, as an embedder would use it
    model.eval()
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def run(item):
        t0 = time.perf_counter()
        image = Image.open(item["path"]).convert("RGB")
        crops = []
        for (x, y, w, h) in item["boxes"]:
            crop = image.crop((x, y, x + w, y + h)).resize((size, size), Image.BILINEAR)
            crops.append(torch.from_numpy(__import__("numpy").asarray(crop).copy()).permute(2, 0, 1).float() / 255)
        t1 = time.perf_counter()
        if crops:
            with torch.no_grad():
                batch = (torch.stack(crops) - mean) / std
                model(batch)
        t2 = time.perf_counter()
        return {"decode_ms": (t1 - t0) * 1000, "net_ms": (t2 - t1) * 1000, "total_ms": (t2 - t0) * 1000, "crops": len(crops)}

    items = spec["items"]
    for item in items[: spec.get("warmup", 2)]:
        run(item)
    results = [dict(run(item), path=item["path"]) for item in items]
    print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": threads,
                      "size": size, "weights": "random init (no ImageNet weights offline)", "results": results}))

if __name__ == "__main__":
    main()
