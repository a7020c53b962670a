"""ONNX export, export parity check, and the staged (temp-name then rename) output folder."""
import copy
import datetime
import hashlib
import json
import os

import numpy as np
import onnx
import torch

from . import IMAGENET_MEAN, IMAGENET_STD
from .model import ExportWrapper
from .onnx_run import OnnxRunner

OPSET = 13
PARITY_TOLERANCE = 1e-4
OUTPUT_FILES = ("model.onnx", "checkpoint.pt", "metrics.json", "samples.json", "model.json")


class StagedOutput:
    """Writes go to hidden temp names; commit() renames them, model.json last, so a killed run never
    leaves a half-written model.onnx (or a model.json without its model)."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)
        for name in os.listdir(out_dir):  # leftovers of a killed run
            if name.startswith(".") and ".partial" in name:
                os.remove(os.path.join(out_dir, name))
        self.staged = {}

    def path(self, name):
        tmp = os.path.join(self.out_dir, f".{name}.partial-{os.getpid()}")
        self.staged[name] = tmp
        return tmp

    def write_json(self, name, doc):
        with open(self.path(name), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")

    def commit(self):
        for name in sorted(self.staged, key=lambda n: n == "model.json"):
            os.replace(self.staged[name], os.path.join(self.out_dir, name))
        self.staged = {}


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def export_onnx(net, layer, input_size, path):
    wrapper = ExportWrapper(copy.deepcopy(net).cpu().float().eval(), layer)
    dummy = torch.zeros(1, 3, input_size, input_size)
    with torch.no_grad():
        torch.onnx.export(wrapper, dummy, path, opset_version=OPSET, input_names=["input"],
                          output_names=["embedding"], do_constant_folding=True,
                          dynamic_axes={"input": {0: "batch"}, "embedding": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path))
    return wrapper


def check_parity(onnx_path, wrapper, inputs):
    """Runs the exported graph (independent interpreter, float32) against the torch module."""
    with torch.no_grad():
        want = wrapper(inputs).numpy()
    got = OnnxRunner(onnx_path, dtype=torch.float32).run({"input": inputs.numpy()})["embedding"]
    if got.shape != want.shape:
        raise RuntimeError(f"export parity: shape {got.shape} != {want.shape}")
    return float(np.abs(got - want).max()), want


def file_id(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()[:16]


def model_doc(model_id, input_size, layer, dim, parent, extra=None):
    doc = {
        "format": "idoltag-embedder", "version": 1, "id": model_id,
        "input": {"name": "input", "size": input_size, "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
                  "colour": "RGB", "layout": "NCHW", "resize": "bilinear", "scale": "1/255"},
        "output": {"name": "embedding", "dim": dim, "normalised": True},
        "layer": layer, "parent": parent, "created": now_iso(), "opset": OPSET,
    }
    doc.update(extra or {})
    return doc


def samples_doc(sample_items, outputs, synthetic_output, input_size, sample_inputs):
    return {
        "version": 1,
        "preprocess": f"PIL RGB, resize to {input_size}x{input_size} bilinear, /255, "
                      "(x - mean) / std, NCHW float32",
        "tolerance": PARITY_TOLERANCE,
        "samples": [{"path": it["path"], "label": it["label"],
                     "input_mean": [float(v) for v in x.mean(dim=(1, 2))],
                     "embedding": [float(v) for v in out]}
                    for it, out, x in zip(sample_items, outputs, sample_inputs)],
        "synthetic": {"formula": "x[0,c,h,w] = ((7*c + 3*h + 5*w) mod 17) / 8 - 1", "shape":
                      [1, 3, input_size, input_size], "embedding": [float(v) for v in synthetic_output]},
    }


def write_model_files(staged, net, layer, input_size, sample_items, sample_inputs, synthetic, parent,
                      checkpoint_extra, metrics, model_extra=None):
    """Exports, verifies and stages model.onnx, samples.json, checkpoint.pt, metrics.json, model.json."""
    onnx_tmp = staged.path("model.onnx")
    wrapper = export_onnx(net, layer, input_size, onnx_tmp)
    batch = torch.cat([torch.stack(sample_inputs)] + [synthetic]) if sample_inputs else synthetic
    diff, outs = check_parity(onnx_tmp, wrapper, batch)
    if diff > PARITY_TOLERANCE:
        raise RuntimeError(f"export parity failed: max |onnx - torch| = {diff:g}")
    model_id = file_id(onnx_tmp)
    dim = int(outs.shape[1])
    staged.write_json("samples.json", samples_doc(sample_items, outs[:-1], outs[-1], input_size, sample_inputs))
    metrics = dict(metrics, export={"layer": layer, "dim": dim, "parity_max_abs_diff": diff, "opset": OPSET})
    staged.write_json("metrics.json", metrics)
    ckpt = {"format": "idoltag-trainer-checkpoint", "version": 1, "id": model_id, "layer": layer,
            "input_size": input_size, "parent": parent, "created": now_iso(),
            "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()}}
    ckpt.update(checkpoint_extra)
    torch.save(ckpt, staged.path("checkpoint.pt"))
    staged.write_json("model.json", model_doc(model_id, input_size, layer, dim, parent, model_extra))
    staged.commit()
    return model_id, metrics
