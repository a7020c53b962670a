import contextlib
import io
import json
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


def run_main(*argv):
    """`python3 -m trainer ARGV` in this process, without paying a fresh interpreter and torch import:
    (exit code, the JSON-line events it wrote on stdout, its stderr). The process boundary itself (the exit
    status, nothing but JSON lines on the real stdout) is tested by the subprocess tests of test_cli."""
    from trainer import events
    from trainer.__main__ import main
    out, err = io.StringIO(), io.StringIO()
    stream = events.STREAM
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse refusing an argument: exit status 2
                code = exc.code
    finally:
        events.STREAM = stream  # main points it at the stdout it found
    return code, [json.loads(line) for line in out.getvalue().splitlines() if line.strip()], err.getvalue()
