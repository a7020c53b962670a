"""Dataset file (dataset.json) loading, the character-held-out split, preprocessing and augmentation."""
import json
import os
import random

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

from . import IMAGENET_MEAN, IMAGENET_STD

VAL_FRACTION = 0.2


class DatasetError(ValueError):
    pass


def load_dataset(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("items"), list):
        raise DatasetError(f"{path}: expected {{\"version\": 1, \"items\": [...]}}")
    items = []
    for i, it in enumerate(doc["items"]):
        if not isinstance(it, dict) or not isinstance(it.get("path"), str) or not isinstance(it.get("label"), str):
            raise DatasetError(f"{path}: item {i} needs string path and label")
        if not os.path.isabs(it["path"]):
            raise DatasetError(f"{path}: item {i} path must be absolute: {it['path']}")
        items.append({"path": it["path"], "label": it["label"], "group": str(it.get("group") or it["path"]),
                      "split": it.get("split", "train"), "domain": str(it.get("domain") or "")})
    if doc.get("input_size") is not None and (not isinstance(doc["input_size"], int) or doc["input_size"] < 32):
        raise DatasetError(f"{path}: input_size must be an integer >= 32")
    return items, doc.get("input_size")


def split_items(items, seed=0, val_fraction=VAL_FRACTION):
    """(train, val, info). Uses the given splits when any item is "val"; otherwise holds out whole
    characters (~val_fraction of labels) and keeps each group (source image) on one side."""
    train = [it for it in items if it["split"] == "train"]
    val = [it for it in items if it["split"] == "val"]
    info = {"source": "dataset", "ignored_items": len(items) - len(train) - len(val)}
    if val:
        seen = {it["label"] for it in train}
        info["val_unseen_label_fraction"] = _frac([it["label"] not in seen for it in val])
        return train, val, info
    labels = sorted({it["label"] for it in train})
    if len(labels) < 3:
        raise DatasetError("need at least 3 labels to hold characters out for validation")
    # held-out characters must have >= 2 items so retrieval has something to find
    counts = {l: sum(it["label"] == l for it in train) for l in labels}
    eligible = [l for l in labels if counts[l] >= 2]
    n_val = min(max(1, round(val_fraction * len(labels))), len(labels) - 2, len(eligible))
    if n_val < 1:
        raise DatasetError("no label has two or more items to hold out")
    held = set(random.Random(seed).sample(eligible, n_val))
    held_groups = {it["group"] for it in train if it["label"] in held}
    new_train, new_val, dropped = [], [], 0
    for it in train:
        if it["label"] in held:
            new_val.append(it)
        elif it["group"] in held_groups:
            dropped += 1  # other characters from a held-out image: on neither side, so no image straddles
        else:
            new_train.append(it)
    info.update(source="held_out_characters", val_labels=sorted(held), dropped_for_grouping=dropped,
                val_unseen_label_fraction=1.0)
    return new_train, new_val, info


def _frac(flags):
    return float(sum(flags)) / len(flags) if flags else 0.0


def open_rgb(path):
    with Image.open(path) as im:
        return im.convert("RGB")


class ImageCache:
    """Decoded RGB crops kept in memory for augmentation. max_side bounds memory for large crops (training
    only: the contract preprocessing always starts from the file itself, see PreprocessedItems)."""

    def __init__(self, max_side=None):
        self.max_side = max_side
        self._images = {}

    def get(self, path):
        img = self._images.get(path)
        if img is None:
            img = open_rgb(path)
            if self.max_side and max(img.size) > self.max_side:
                img.thumbnail((self.max_side, self.max_side), Image.BILINEAR)
            self._images[path] = img
        return img


class PreprocessedItems:
    """Items as contract-preprocessed tensors, decoded lazily per slice (no whole-set tensor in memory)."""

    def __init__(self, items, size):
        self.paths = [it["path"] for it in items]
        self.size = size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, sl):
        return torch.stack([preprocess(open_rgb(p), self.size) for p in self.paths[sl]])


def preprocess(img, size, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """The contract preprocessing: bilinear resize to size x size, /255, mean/std, CHW float32."""
    arr = np.asarray(img.convert("RGB").resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
    arr = (arr - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


# Colour augmentation strengths. Hue stays small throughout: hair and eye colour are much of an anime
# character's identity, while card art's colour grading is mostly brightness, contrast and saturation.
COLOUR_JITTER = {
    "none": None,
    "mild": dict(brightness=0.2, contrast=0.2, saturation=0.15, hue=0.02),
    "strong": dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.03),
}


def train_transform(size, mean=IMAGENET_MEAN, std=IMAGENET_STD, colour="mild", erasing=0.0):
    """`erasing`: the share of examples in which one random rectangle (2-33 % of the crop) is blanked to the
    mean colour after normalisation (random erasing, Zhong et al. 2017): hands, hats, hair or a caption hide
    part of a face, and identity must not hang on any one part."""
    if colour not in COLOUR_JITTER:
        raise ValueError(f"unknown colour jitter {colour!r} (choose from {', '.join(COLOUR_JITTER)})")
    if not 0.0 <= erasing <= 1.0:
        raise ValueError(f"random erasing is a share of examples, 0 to 1, not {erasing}")
    jitter = COLOUR_JITTER[colour]
    return T.Compose([
        T.RandomRotation(10, interpolation=T.InterpolationMode.BILINEAR),
        T.RandomResizedCrop(size, scale=(0.6, 1.0), ratio=(0.85, 1.18)),
        T.RandomHorizontalFlip(),
        *([T.ColorJitter(**jitter)] if jitter else []),
        T.ToTensor(),
        T.Normalize(mean, std),
        *([T.RandomErasing(p=erasing, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0)] if erasing > 0 else []),
    ])


def synthetic_input(size):
    """A deterministic input anyone can rebuild: x[0,c,h,w] = ((7c + 3h + 5w) mod 17) / 8 - 1."""
    c, h, w = np.meshgrid(np.arange(3), np.arange(size), np.arange(size), indexing="ij")
    return torch.from_numpy((((7 * c + 3 * h + 5 * w) % 17) / 8.0 - 1.0).astype(np.float32))[None]
