"""idoltag backbone trainer: fine-tunes a de-quantised MobileNetV2 into a face embedder.

Run as `python3 -m trainer <subcommand>`; see trainer/README.md for the file contract.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
DEFAULT_SOURCE_ONNX = "/work/shared/data/models/mobilenetv2_12_int8/mobilenetv2-12-int8.onnx"
