"""dataset.json from snapshots of public Cinderella Girls (Starlight Stage) card-icon repositories.

Two layouts are recognised (see trainer/README.md, "Building the CG dataset"):
- "card-icons": `[cgss-checker/]data/images/{N,R,SR,SSR}/<cardId>_[<card title>]<idol name>.jpg`, one framed
  face icon per file (the title is missing on some files);
- "ssr-strips": `public/<romaji><n>.png` strips (un-evolved | evolved SSR icon side by side) plus
  `components/data.json`, which maps each file stem (`img`) to the Japanese name (`name`).

The Japanese name is the label in both, so the sources merge on it. Every icon is trimmed (card frame and
rarity badge) and written as a PNG crop, because the trainer reads files. Near-identical icons of the same
idol (the same SSR card in both sources) are written once. A fixed list of idols is held out of training:
they are written as an ImageFolder tree for `idoltag eval` and never enter dataset.json, and a second fixed
list is the validation split the trainer selects its epoch on."""
import json
import os
import re

import numpy as np
from PIL import Image

from .events import emit, log

RARITIES = ("N", "R", "SR", "SSR")
TRIM = 0.08  # per side: the card frame and the rarity badge
# labels in the sources that are not Cinderella Girls idols (mascots, staff, other franchises' guests)
NOT_IDOLS = frozenset({"ぴにゃこら太", "うさぎ", "千川ちひろ", "最上静香", "ジュリア", "星街すいせい"})
CARD_ICON = re.compile(r"^(?P<card>\d+)_(?:\[(?P<title>.*)\])?(?P<name>.+)\.(?:jpg|jpeg|png)$", re.IGNORECASE)
SPLIT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cgss_split.json")
DUPLICATE_DIFF = 6.0  # mean absolute difference (0-255) of 24x24 greyscale thumbnails


class SnapshotError(ValueError):
    pass


def detect_layout(root):
    """("card-icons", images_dir) or ("ssr-strips", root); SnapshotError when neither layout is there."""
    for sub in ("cgss-checker/data/images", "data/images", "images", "."):
        images = os.path.normpath(os.path.join(root, sub))
        if any(os.path.isdir(os.path.join(images, r)) for r in RARITIES):
            return "card-icons", images
    if os.path.isfile(os.path.join(root, "components", "data.json")) and os.path.isdir(os.path.join(root, "public")):
        return "ssr-strips", root
    raise SnapshotError(f"{root}: neither a card-icon tree ({'/'.join(RARITIES)} folders under data/images) "
                        "nor public/ + components/data.json")


def trim(img, fraction=TRIM):
    w, h = img.size
    dx, dy = round(w * fraction), round(h * fraction)
    return img.crop((dx, dy, w - dx, h - dy))


def _rgb(img):
    """RGB on white: the strips' rounded corners are transparent."""
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return img.convert("RGB")


def card_icon_faces(images_dir):
    """[(name, source_key, group, PIL image)] of a card-icon tree."""
    faces = []
    for rarity in RARITIES:
        folder = os.path.join(images_dir, rarity)
        if not os.path.isdir(folder):
            continue
        for fname in sorted(os.listdir(folder)):
            m = CARD_ICON.match(fname)
            if not m:
                log(f"cgss: skipped {rarity}/{fname} (not <cardId>_[title]name)")
                continue
            with Image.open(os.path.join(folder, fname)) as im:
                img = _rgb(im)
            key = f"card-icons/{rarity}/{m.group('card')}"
            faces.append((m.group("name").strip(), key, key, img))
    return faces


def ssr_strip_faces(root):
    """[(name, source_key, group, PIL image)]: each strip gives its un-evolved (a) and evolved (b) icon,
    one group (the same card)."""
    with open(os.path.join(root, "components", "data.json"), encoding="utf-8") as f:
        entries = json.load(f)
    faces = []
    for entry in entries:
        path = os.path.join(root, "public", f"{entry['img']}.png")
        if not os.path.isfile(path):
            log(f"cgss: {entry['img']}.png listed in data.json but missing")
            continue
        with Image.open(path) as im:
            strip = _rgb(im)
        w, h = strip.size
        half = w // 2
        group = f"ssr-strips/{entry['img']}"
        for side, box in (("a", (0, 0, half, h)), ("b", (half, 0, 2 * half, h))):
            faces.append((entry["name"].strip(), f"{group}{side}", group, strip.crop(box)))
    return faces


def _thumb(img):
    return np.asarray(img.convert("L").resize((24, 24), Image.BILINEAR), dtype=np.float32)


def load_split(path=SPLIT_FILE):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return set(doc["heldout"]), set(doc.get("val", []))


def build(snapshots, out, crops_dir=None, heldout_dir=None, split_file=SPLIT_FILE, input_size=160):
    """Writes crops, the held-out ImageFolder tree and dataset.json; returns a summary dict."""
    out = os.path.abspath(out)
    base = os.path.dirname(out)
    crops_dir = os.path.abspath(crops_dir or os.path.join(base, "crops"))
    heldout_dir = os.path.abspath(heldout_dir or os.path.join(base, "heldout"))
    heldout, val = load_split(split_file)
    faces, layouts = [], []
    for snap in snapshots:
        layout, where = detect_layout(snap)
        layouts.append(layout)
        faces += card_icon_faces(where) if layout == "card-icons" else ssr_strip_faces(where)
    if not faces:
        raise SnapshotError("no icons found in the snapshots")
    kept, thumbs, counts = [], {}, {"not_idol": 0, "duplicate": 0}
    for name, key, group, img in faces:
        if name in NOT_IDOLS:
            counts["not_idol"] += 1
            continue
        face = trim(img)
        t = _thumb(face)
        if any(np.abs(t - o).mean() < DUPLICATE_DIFF for o in thumbs.get(name, [])):
            counts["duplicate"] += 1
            continue
        thumbs.setdefault(name, []).append(t)
        kept.append((name, key, group, face))
    items, heldout_files = [], 0
    for name, key, group, face in kept:
        stem = key.replace("/", "_")
        if name in heldout:
            path = os.path.join(heldout_dir, name, f"{stem}.png")
            heldout_files += 1
        else:
            path = os.path.join(crops_dir, name, f"{stem}.png")
            items.append({"path": path, "label": name, "group": group, "split": "val" if name in val else "train",
                          "domain": "cgss"})
        os.makedirs(os.path.dirname(path), exist_ok=True)
        face.save(path)
    doc = {"version": 1, "input_size": input_size, "items": items,
           "source": {"builder": "cgss", "layouts": layouts, "trim": TRIM, "split_file": os.path.basename(split_file)}}
    tmp = f"{out}.partial-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=0)
    os.replace(tmp, out)
    labels = {n for n, *_ in kept}
    summary = {"items": len(items), "labels": len({it["label"] for it in items}),
               "train_labels": len({it["label"] for it in items if it["split"] == "train"}),
               "val_labels": len({it["label"] for it in items if it["split"] == "val"}),
               "heldout_labels": len(labels & heldout), "heldout_files": heldout_files,
               "missing_heldout": sorted(heldout - labels), "dropped_not_idol": counts["not_idol"],
               "dropped_duplicate": counts["duplicate"], "layouts": layouts}
    emit("done", **summary)
    return summary
