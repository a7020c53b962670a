"""Embedding network: de-quantised MobileNetV2 features -> global average pool ("pooled", 1280-d)
-> linear projection ("projection", dim-d). Both outputs are L2-normalised when used as embeddings."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import resolve_source_onnx
from .dequantize import dequantized_mobilenet_v2, folded_mobilenet_v2

POOLED_DIM = 1280
LAYERS = ("pooled", "projection")
FEATURE_BLOCKS = 19  # MobileNetV2's features: the stem, 17 inverted-residual blocks, the last 1x1 conv


class EmbeddingNet(nn.Module):
    def __init__(self, dim=128, features=None):
        super().__init__()
        self.features = features if features is not None else folded_mobilenet_v2().features
        self.projection = nn.Linear(POOLED_DIM, dim)
        self.dim = dim

    def forward(self, x):
        """Returns (pooled, projection), both un-normalised."""
        pooled = torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)
        return pooled, self.projection(pooled)

    def freeze_blocks(self, n):
        """Freeze features[0:n] (stem and the first inverted-residual blocks)."""
        for block in self.features[:n]:
            for p in block.parameters():
                p.requires_grad_(False)


class ExportWrapper(nn.Module):
    """The exported graph: input -> L2-normalised chosen layer, named "embedding"."""

    def __init__(self, net, layer):
        super().__init__()
        if layer not in LAYERS:
            raise ValueError(f"layer must be one of {LAYERS}")
        self.net, self.layer = net, layer

    def forward(self, x):
        pooled, proj = self.net(x)
        return F.normalize(pooled if self.layer == "pooled" else proj, dim=1)


def imagenet_embedding_net(dim=128, onnx_path=None, seed=0):
    net = EmbeddingNet(dim, features=dequantized_mobilenet_v2(resolve_source_onnx(onnx_path)).features)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net.projection.reset_parameters()
    return net


def load_checkpoint(path, dim=None, map_location="cpu"):
    """Load a trainer checkpoint. A different --dim keeps the backbone and re-initialises the projection."""
    ckpt = torch.load(path, map_location=map_location)
    if not isinstance(ckpt, dict) or ckpt.get("format") != "idoltag-trainer-checkpoint":
        raise ValueError(f"{path} is not an idoltag trainer checkpoint")
    state = ckpt["state_dict"]
    saved_dim = state["projection.weight"].shape[0] if "projection.weight" in state else None
    dim = dim or saved_dim or 128
    net = EmbeddingNet(dim)
    if saved_dim != dim:
        state = {k: v for k, v in state.items() if not k.startswith("projection.")}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith("projection.") for k in missing):
        raise ValueError(f"checkpoint {path} does not fit: missing={missing} unexpected={unexpected}")
    return net, ckpt
