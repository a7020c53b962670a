import os

import torch

torch.set_num_threads(2)

SHARED = "/work/shared/data"
HAVE_SHARED = os.path.exists(os.path.join(SHARED, "nagadomi10", "labels.csv"))


def small_shared_items(labels, per_label):
    from trainer.shared_data import shared_items
    out = []
    for label in labels:
        out.extend(sorted((it for it in shared_items() if it["label"] == label), key=lambda it: it["path"])[:per_label])
    return out
