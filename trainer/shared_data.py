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
