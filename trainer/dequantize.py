"""Rebuild the ONNX Model Zoo MobileNetV2 INT8 graph as a float torchvision mobilenet_v2.

BatchNorm is already folded into the quantised convolutions, so every BatchNorm2d becomes Identity and
every conv gets a bias. The 52 QLinearConv nodes carry numeric names, so they are matched to torchvision's
conv modules by graph order, with shape, groups, stride and padding checked on each pair.
"""
import hashlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision
from onnx import numpy_helper

from . import resolve_source_onnx


def folded_mobilenet_v2(num_classes=1000):
    """torchvision mobilenet_v2 with BN removed and biased convs (weights uninitialised)."""
    model = torchvision.models.mobilenet_v2(weights=None, num_classes=num_classes)
    for parent in model.modules():
        children = list(parent.named_children())
        for (name, child), nxt in zip(children, children[1:] + [(None, None)]):
            if isinstance(child, nn.Conv2d) and isinstance(nxt[1], nn.BatchNorm2d):
                setattr(parent, name, nn.Conv2d(child.in_channels, child.out_channels, child.kernel_size,
                                                child.stride, child.padding, child.dilation, child.groups,
                                                bias=True))
                setattr(parent, nxt[0], nn.Identity())
    return model


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _dequant(arr, scale, zp, axis=0):
    arr = arr.astype(np.float64) - _bcast(zp.astype(np.float64), arr.ndim, axis)
    return (arr * _bcast(scale.astype(np.float64), arr.ndim, axis)).astype(np.float32)


def _bcast(v, ndim, axis):
    if v.size == 1:
        return v.reshape(())
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


def load_int8_float_weights(onnx_path=None):
    """Return (state_dict, mapping) for folded_mobilenet_v2; mapping lists (module name, onnx weight name)."""
    graph = onnx.load(resolve_source_onnx(onnx_path)).graph
    init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    model = folded_mobilenet_v2()
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    qconvs = [n for n in graph.node if n.op_type == "QLinearConv"]
    if len(qconvs) != len(convs):
        raise ValueError(f"{len(qconvs)} QLinearConv nodes vs {len(convs)} torchvision convs")
    state, mapping = {}, []
    for (name, conv), node in zip(convs, qconvs):
        a = _attrs(node)
        x_scale, w_q, w_scale, w_zp = (init[node.input[i]] for i in (1, 3, 4, 5))
        checks = {
            "shape": (tuple(w_q.shape), tuple(conv.weight.shape)),
            "groups": (a.get("group", 1), conv.groups),
            "stride": (tuple(a.get("strides", [1, 1])), conv.stride),
            "padding": (tuple(a.get("pads", [0, 0, 0, 0])[:2]), conv.padding),
        }
        for what, (got, want) in checks.items():
            if got != want:
                raise ValueError(f"{name} vs {node.input[3]}: {what} {got} != {want}")
        state[f"{name}.weight"] = torch.from_numpy(_dequant(w_q, w_scale, w_zp))
        bias_q = init[node.input[8]].astype(np.float64)
        state[f"{name}.bias"] = torch.from_numpy(
            (bias_q * float(x_scale) * w_scale.astype(np.float64)).astype(np.float32))
        mapping.append((name, node.input[3]))
    # classifier: QLinearMatMul stores W as [1280, 1000] (transposed) with a per-column scale
    mm = next(n for n in graph.node if n.op_type == "QLinearMatMul")
    w = _dequant(init[mm.input[3]], init[mm.input[4]], init[mm.input[5]], axis=1)
    state["classifier.1.weight"] = torch.from_numpy(np.ascontiguousarray(w.T))
    add = next(n for n in graph.node if n.op_type == "QLinearAdd" and n.input[3].startswith("classifier"))
    state["classifier.1.bias"] = torch.from_numpy(_dequant(init[add.input[3]], init[add.input[4]],
                                                           init[add.input[5]]).reshape(-1))
    return state, mapping


def dequantized_mobilenet_v2(onnx_path=None):
    model = folded_mobilenet_v2()
    state, _ = load_int8_float_weights(onnx_path)
    model.load_state_dict(state, strict=True)
    return model.eval()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
