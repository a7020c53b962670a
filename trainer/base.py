"""export-base: the de-quantised ImageNet backbone as a "version 0" float model (pooled layer)."""
import os

from . import resolve_source_onnx
from .data import load_dataset, open_rgb, preprocess, synthetic_input
from .dequantize import file_sha256
from .events import emit
from .export import StagedOutput, write_model_files
from .model import imagenet_embedding_net


def export_base(out, input_size=160, dataset=None, source_onnx=None, dim=128):
    source_onnx = resolve_source_onnx(source_onnx)
    emit("start", command="export-base", input_size=input_size)
    net = imagenet_embedding_net(dim, source_onnx).eval()
    samples, inputs = [], []
    if dataset:
        items, _ = load_dataset(dataset)
        samples = sorted(items, key=lambda it: it["path"])[:: max(1, len(items) // 4)][:4]
        inputs = [preprocess(open_rgb(it["path"]), input_size) for it in samples]
    parent = {"kind": "imagenet-int8", "sha256": file_sha256(source_onnx), "path": os.path.abspath(source_onnx)}
    metrics = {"version": 1, "layer": "pooled", "trained": False, "best_epoch": 0, "history": []}
    model_id, metrics = write_model_files(
        StagedOutput(out), net, "pooled", input_size, samples, inputs, synthetic_input(input_size), parent,
        {"epoch": 0, "dim": dim}, metrics)
    emit("done", metrics={"id": model_id, "layer": "pooled", "export": metrics["export"]})
