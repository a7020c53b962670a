import os

import torch

from trainer import default_source_onnx, shared_data_root

torch.set_num_threads(2)

SHARED = shared_data_root()
SOURCE_ONNX = default_source_onnx()
HAVE_SHARED = os.path.exists(os.path.join(SHARED, "nagadomi10", "labels.csv")) and os.path.isfile(SOURCE_ONNX)
# Under CI a skip fails the run (the Node runner), so the reason names exactly what is missing.
MISSING_SHARED = (f"needs the shared data sets and the ImageNet source model: {SHARED}/nagadomi10/labels.csv and "
                  f"{SOURCE_ONNX} (set IDOLTAG_SHARED_DATA / IDOLTAG_MODEL_MIRROR)")


def small_shared_items(labels, per_label):
    from trainer.shared_data import shared_items
    out = []
    for label in labels:
        out.extend(sorted((it for it in shared_items() if it["label"] == label), key=lambda it: it["path"])[:per_label])
    return out
