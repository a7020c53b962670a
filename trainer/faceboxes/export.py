"""Exports the FaceBoxes weights to ONNX.

    python3 -m trainer.faceboxes.export --weights FaceBoxes_epoch_90.pth --out faceboxes.onnx

Input "input": N x 3 x H x W float32, BGR with mean (104, 117, 123) subtracted (H and W dynamic).
Outputs "loc" (N x A x 4) and "conf" (N x A x 2, softmax; index 1 = face).
"""

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="PyTorch state_dict (.pth)")
    parser.add_argument("--out", required=True, help="ONNX file to write")
    parser.add_argument("--opset", type=int, default=11)
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("torch is not installed for this python (%s)" % sys.executable, file=sys.stderr)
        return 3

    from .network import load

    torch.set_num_threads(1)
    net = load(args.weights)
    dummy = torch.zeros(1, 3, 320, 480)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            net,
            dummy,
            args.out,
            input_names=["input"],
            output_names=["loc", "conf"],
            dynamic_axes={
                "input": {0: "batch", 2: "height", 3: "width"},
                "loc": {0: "batch", 1: "anchors"},
                "conf": {0: "batch", 1: "anchors"},
            },
            opset_version=args.opset,
            do_constant_folding=True,
        )
    print("wrote %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
