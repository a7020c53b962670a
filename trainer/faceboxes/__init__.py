"""FaceBoxes (Zhang et al., 2017) anime face detector: network definition and ONNX export."""
