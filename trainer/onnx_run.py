"""A tiny torch-backed ONNX interpreter for the op subset of the source INT8 model and of our exports.

Python has no onnxruntime here, so this is how tests get an INT8 reference and check exported graphs
independently of the torch module that produced them.
"""
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

_QRANGE = {np.dtype("uint8"): (0, 255), np.dtype("int8"): (-128, 127)}


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _quantize(x, scale, zp, zp_dtype):
    lo, hi = _QRANGE[zp_dtype]
    return torch.clamp(torch.round(x / scale) + zp, lo, hi)  # torch.round is half-to-even, like ONNX


def _per_channel(t, ndim):
    # per-output-channel scale/zero-point of a conv weight, broadcast over [out, in, kh, kw]
    return t.reshape(-1, *([1] * (ndim - 1))) if t.numel() > 1 else t


class OnnxRunner:
    def __init__(self, model_or_path, dtype=torch.float64):
        self.model = onnx.load(model_or_path) if isinstance(model_or_path, str) else model_or_path
        self.dtype = dtype
        self.values = {}
        self.zp_dtype = {}
        for init in self.model.graph.initializer:
            arr = numpy_helper.to_array(init)
            self.zp_dtype[init.name] = arr.dtype
            self.values[init.name] = self._tensor(arr)

    def _tensor(self, arr):
        if arr.dtype.kind in "iu" and arr.dtype != np.int64:
            return torch.from_numpy(arr.astype(np.float64)).to(self.dtype)
        if arr.dtype == np.int64:
            return torch.from_numpy(arr.copy())
        return torch.from_numpy(np.array(arr)).to(self.dtype)

    def run(self, feeds, keep_all=False):
        env = dict(self.values)
        for name, value in feeds.items():
            env[name] = torch.as_tensor(np.asarray(value)).to(self.dtype)
        for node in self.model.graph.node:
            ins = [env[n] if n else None for n in node.input]
            outs = self._op(node, ins, _attrs(node))
            for name, value in zip(node.output, outs):
                env[name] = value
        if keep_all:
            return env
        return {o.name: env[o.name].float().numpy() for o in self.model.graph.output}

    def _zp(self, node, index):
        return self.zp_dtype.get(node.input[index], np.dtype("uint8"))

    def _op(self, node, x, a):
        op = node.op_type
        if op == "QuantizeLinear":
            return [_quantize(x[0], x[1], x[2], self._zp(node, 2))]
        if op == "DequantizeLinear":
            return [(x[0] - x[2]) * x[1]]
        if op == "QLinearConv":
            xf = (x[0] - x[2]) * x[1]
            wf = (x[3] - _per_channel(x[5], 4)) * _per_channel(x[4], 4)
            bias = x[8] * x[1] * x[4] if len(x) > 8 and x[8] is not None else None
            y = self._conv(xf, wf, bias, a)
            return [_quantize(y, x[6], x[7], self._zp(node, 7))]
        if op == "QLinearAdd":
            y = (x[0] - x[2]) * x[1] + (x[3] - x[5]) * x[4]
            return [_quantize(y, x[6], x[7], self._zp(node, 7))]
        if op == "QLinearGlobalAveragePool":
            y = ((x[0] - x[2]) * x[1]).mean(dim=(2, 3), keepdim=True)
            return [_quantize(y, x[3], x[4], self._zp(node, 4))]
        if op == "QLinearMatMul":
            y = ((x[0] - x[2]) * x[1]) @ ((x[3] - x[5]) * x[4])
            return [_quantize(y, x[6], x[7], self._zp(node, 7))]
        if op == "Conv":
            return [self._conv(x[0], x[1], x[2] if len(x) > 2 else None, a)]
        if op == "Clip":
            lo = x[1] if len(x) > 1 and x[1] is not None else None
            hi = x[2] if len(x) > 2 and x[2] is not None else None
            return [torch.clamp(x[0], min=lo, max=hi)]
        if op == "Relu":
            return [torch.relu(x[0])]
        if op in ("Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"):
            fn = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div,
                  "Max": torch.maximum, "Min": torch.minimum, "Pow": torch.pow}[op]
            return [fn(x[0], x[1].to(x[0].dtype))]
        if op == "Sqrt":
            return [torch.sqrt(x[0])]
        if op == "GlobalAveragePool":
            return [x[0].mean(dim=(2, 3), keepdim=True)]
        if op == "ReduceMean":
            return [x[0].mean(dim=tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))]
        if op == "ReduceL2":
            return [torch.linalg.vector_norm(x[0], dim=tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))]
        if op == "ReduceSumSquare":
            return [(x[0] ** 2).sum(dim=tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))]
        if op == "Flatten":
            axis = a.get("axis", 1)
            return [x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)]
        if op == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
            return [y]
        if op == "MatMul":
            return [x[0] @ x[1]]
        if op == "Constant":
            return [self._tensor(numpy_helper.to_array(a["value"]))]
        if op == "Identity":
            return [x[0]]
        if op == "Shape":
            return [torch.tensor(list(x[0].shape), dtype=torch.int64)]
        if op == "Gather":
            axis = a.get("axis", 0)
            out = torch.index_select(x[0], axis, x[1].long().reshape(-1))
            return [out.reshape(tuple(x[0].shape[:axis]) + tuple(x[1].shape) + tuple(x[0].shape[axis + 1:]))]
        if op == "Unsqueeze":
            axes = a["axes"] if "axes" in a else x[1].tolist()
            y = x[0]
            for ax in sorted(axes):
                y = y.unsqueeze(ax)
            return [y]
        if op == "Concat":
            return [torch.cat([t.to(x[0].dtype).reshape(-1) if t.dim() == 0 else t.to(x[0].dtype) for t in x],
                              dim=a["axis"])]
        if op == "Reshape":
            shape = [int(s) for s in x[1].tolist()]
            shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            return [x[0].reshape(shape)]
        if op == "Expand":
            return [x[0] * torch.ones([int(s) for s in x[1].tolist()], dtype=x[0].dtype)]
        raise NotImplementedError(f"onnx_run: unsupported op {op}")

    @staticmethod
    def _conv(x, w, b, a):
        pads = a.get("pads", [0, 0, 0, 0])
        if pads[0] != pads[2] or pads[1] != pads[3]:
            raise NotImplementedError("asymmetric pads")
        return F.conv2d(x, w, b, stride=tuple(a.get("strides", [1, 1])), padding=(pads[0], pads[1]),
                        dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
