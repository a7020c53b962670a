"""Builds dataset.json documents from the local face-crop sets in the shared data folder (tests, benchmarks)."""
import csv
import os

from . import shared_data_root

# ../shared/data beside the checkout; elsewhere (a lent GPU machine, a user's box) point IDOLTAG_SHARED_DATA
# at a copy of that folder.
SHARED_ROOT = shared_data_root()
SETS = ("nagadomi10", "newgame8", "keima3")
LABEL_ALIASES = {"lijima_yun": "iijima_yun"}  # the newgame8 source misspells iijima_yun


def shared_items(sets=SETS, root=SHARED_ROOT):
    items = []
    for name in sets:
        folder = os.path.join(root, name)
        with open(os.path.join(folder, "labels.csv"), encoding="utf-8") as f:
            for row in csv.DictReader(f):
                label = LABEL_ALIASES.get(row["label"], row["label"])
                items.append({"path": os.path.join(folder, row["path"]), "label": label,
                              "group": f"{name}:{row['path']}", "split": "train"})
    return items


def dataset_doc(items, input_size=160):
    return {"version": 1, "items": items, "input_size": input_size}


def source_train_items(name, root=SHARED_ROOT):
    """The items of one shared set that its source marks as training data (labels.csv's orig_split column).
    Its test rows stay unseen, so `idoltag eval --protocol closed` (which tests on them) still measures faces the
    model never saw. Labels are prefixed with the set's name so they cannot merge with another source's."""
    folder = os.path.join(root, name)
    labels = os.path.join(folder, "labels.csv")
    if not os.path.isfile(labels):
        raise FileNotFoundError(f"shared set {name} not found: {labels} (set IDOLTAG_SHARED_DATA)")
    with open(labels, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or "orig_split" not in rows[0]:
        raise ValueError(f"{labels} has no orig_split column: its own test faces could not be kept out")
    return [{"path": os.path.join(folder, row["path"]),
             "label": f"{name}:{LABEL_ALIASES.get(row['label'], row['label'])}",
             "group": f"{name}:{row['path']}", "split": "train", "domain": name}
            for row in rows if row["orig_split"] == "train"]
