"""The Python-side judge of a trained embedder on an ImageFolder of held-out identities (`<dir>/<name>/<file>`).

Embeddings are mirror-averaged like the product (the crop and its horizontal flip, each L2-normalised, summed,
re-normalised). Reports, for both layers: MAP@R, Recall@1, closed-set and k-shot nearest-class-mean top-1."""
import json
import os

import torch
import torch.nn.functional as F
from PIL import Image

from .data import open_rgb, preprocess
from .metrics import nearest_class_mean_top1, retrieval_metrics
from .model import LAYERS, imagenet_embedding_net, load_checkpoint

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp")


def image_folder(root):
    items = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not os.path.isdir(folder):
            continue
        for fname in sorted(os.listdir(folder)):
            if fname.lower().endswith(IMAGE_EXTS):
                items.append({"path": os.path.join(folder, fname), "label": name})
    if len({it["label"] for it in items}) < 2:
        raise ValueError(f"{root}: need an ImageFolder tree with at least two identities")
    return items


@torch.no_grad()
def mirrored_embeddings(net, items, size, batch=64):
    net.eval()
    out = {layer: [] for layer in LAYERS}
    for i in range(0, len(items), batch):
        imgs = [open_rgb(it["path"]) for it in items[i:i + batch]]
        x = torch.stack([preprocess(im, size) for im in imgs])
        xf = torch.stack([preprocess(im.transpose(Image.FLIP_LEFT_RIGHT), size) for im in imgs])
        for a, b, layer in zip(net(x), net(xf), LAYERS):
            out[layer].append(F.normalize(F.normalize(a, dim=1) + F.normalize(b, dim=1), dim=1))
    return {layer: torch.cat(v) for layer, v in out.items()}


def evaluate_folder(net, root, size, shots=5, episodes=50, seed=0):
    items = image_folder(root)
    labels = [it["label"] for it in items]
    embs = mirrored_embeddings(net, items, size)
    result = {"identities": len(set(labels)), "images": len(items), "input_size": size, "shots": shots,
              "episodes": episodes, "mirror_averaged": True}
    for layer, e in embs.items():
        r = retrieval_metrics(e, labels)
        few_shot = nearest_class_mean_top1(e, labels, shots=shots, episodes=episodes, seed=seed)
        result[layer] = {"map_at_r": r["map_at_r"], "recall_at_1": r["recall_at_1"],
                         "closed_set_top1": nearest_class_mean_top1(e, labels), f"{shots}_shot_top1": few_shot}
    return result


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m trainer.heldout_eval")
    ap.add_argument("--heldout", required=True, help="ImageFolder tree of identities never trained on")
    ap.add_argument("--checkpoint", default=None, help="checkpoint.pt (default: the ImageNet backbone)")
    ap.add_argument("--source-onnx", default=None, help="the INT8 ImageNet ONNX, when no --checkpoint")
    ap.add_argument("--input-size", type=int, default=None, help="default: the checkpoint's, else 160")
    ap.add_argument("--shots", type=int, default=5)
    ap.add_argument("--episodes", type=int, default=50)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("TRAINER_THREADS", "2")))
    if args.checkpoint:
        net, ckpt = load_checkpoint(args.checkpoint)
        size = args.input_size or ckpt.get("input_size") or 160
    else:
        if not args.source_onnx:
            ap.error("give --checkpoint, or --source-onnx for the ImageNet baseline")
        net, size = imagenet_embedding_net(128, args.source_onnx), args.input_size or 160
    result = evaluate_folder(net, args.heldout, size, args.shots, args.episodes)
    result["model"] = os.path.basename(args.checkpoint) if args.checkpoint else "imagenet"
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
