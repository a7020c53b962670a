"""idoltag backbone trainer: fine-tunes a de-quantised MobileNetV2 into a face embedder.

Run as `python3 -m trainer <subcommand>`; see trainer/README.md for the file contract.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
# The checkout's root; shared data sits beside it (../shared/data) unless IDOLTAG_SHARED_DATA says otherwise.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_ONNX_IN_MIRROR = os.path.join("mobilenetv2_12_int8", "mobilenetv2-12-int8.onnx")


def shared_data_root():
    return os.path.abspath(os.environ.get("IDOLTAG_SHARED_DATA") or os.path.join(PROJECT_ROOT, "..", "shared", "data"))


def default_source_onnx():
    """Where the INT8 ImageNet MobileNetV2 is when --source-onnx is not given: IDOLTAG_SOURCE_ONNX, else the
    model mirror (IDOLTAG_MODEL_MIRROR, else the shared data's models/). The Node side passes the file its
    manifest resolved as --source-onnx; this fallback serves the tests and hand-run commands."""
    if os.environ.get("IDOLTAG_SOURCE_ONNX"):
        return os.path.abspath(os.environ["IDOLTAG_SOURCE_ONNX"])
    mirror = os.environ.get("IDOLTAG_MODEL_MIRROR") or os.path.join(shared_data_root(), "models")
    return os.path.abspath(os.path.join(mirror, SOURCE_ONNX_IN_MIRROR))


def resolve_source_onnx(path=None):
    """The source ONNX to de-quantise, or a FileNotFoundError that says how to give it."""
    path = path or default_source_onnx()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ImageNet source model not found: {path} (pass --source-onnx, or set "
                                "IDOLTAG_SOURCE_ONNX or IDOLTAG_MODEL_MIRROR)")
    return path
