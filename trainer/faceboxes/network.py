"""The FaceBoxes network, written from the paper (Zhang et al., "FaceBoxes: A CPU Real-time Face
Detector with High Accuracy", IJCB 2017). Module names match the AnimeFaceBoxes state_dict so its
weights load with strict key matching.

Layout (input stride in brackets):
  RDCL: conv1 7x7/4 + CReLU [4], max-pool 3x3/2 [8], conv2 5x5/2 + CReLU [16], max-pool 3x3/2 [32]
  MSCL: inception1..3 [32] -> head 1; conv3_1 1x1, conv3_2 3x3/2 [64] -> head 2;
        conv4_1 1x1, conv4_2 3x3/2 [128] -> head 3
Head 1 carries 21 anchors per cell (32 px densified 4x4, 64 px densified 2x2, 128 px), heads 2 and
3 one anchor each (256 px, 512 px).
"""

import torch
from torch import nn
import torch.nn.functional as F

ANCHORS_PER_CELL = (21, 1, 1)
NUM_CLASSES = 2


class ConvBN(nn.Module):
    """Convolution without bias, batch norm, then ReLU or CReLU."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0, crelu=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.crelu = crelu

    def forward(self, x):
        x = self.bn(self.conv(x))
        if self.crelu:
            # CReLU doubles the channels so the first layers can be half as wide (paper, sec. 3.1).
            x = torch.cat((x, -x), 1)
        return F.relu(x)


class Inception(nn.Module):
    """128 -> 128 channels: four 32-channel branches."""

    def __init__(self):
        super().__init__()
        self.branch1x1 = ConvBN(128, 32, 1)
        self.branch1x1_2 = ConvBN(128, 32, 1)
        self.branch3x3_reduce = ConvBN(128, 24, 1)
        self.branch3x3 = ConvBN(24, 32, 3, padding=1)
        self.branch3x3_reduce_2 = ConvBN(128, 24, 1)
        self.branch3x3_2 = ConvBN(24, 32, 3, padding=1)
        self.branch3x3_3 = ConvBN(32, 32, 3, padding=1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch1x1_2(F.avg_pool2d(x, 3, stride=1, padding=1))
        c = self.branch3x3(self.branch3x3_reduce(x))
        d = self.branch3x3_3(self.branch3x3_2(self.branch3x3_reduce_2(x)))
        # The trained weights only work with this branch order.
        return torch.cat((a, b, c, d), 1)


class FaceBoxes(nn.Module):
    """Input: N x 3 x H x W float, BGR, mean (104, 117, 123) subtracted, not scaled.
    Output: loc N x A x 4 (offsets against the priors), conf N x A x 2 (softmax, index 1 = face),
    anchors ordered by level, then row-major cell, then anchor within the cell."""

    def __init__(self):
        super().__init__()
        self.conv1 = ConvBN(3, 24, 7, stride=4, padding=3, crelu=True)
        self.conv2 = ConvBN(48, 64, 5, stride=2, padding=2, crelu=True)
        self.inception1 = Inception()
        self.inception2 = Inception()
        self.inception3 = Inception()
        self.conv3_1 = ConvBN(128, 128, 1)
        self.conv3_2 = ConvBN(128, 256, 3, stride=2, padding=1)
        self.conv4_1 = ConvBN(256, 128, 1)
        self.conv4_2 = ConvBN(128, 256, 3, stride=2, padding=1)
        channels = (128, 256, 256)
        self.loc = nn.ModuleList(
            nn.Conv2d(c, a * 4, 3, padding=1) for c, a in zip(channels, ANCHORS_PER_CELL)
        )
        self.conf = nn.ModuleList(
            nn.Conv2d(c, a * NUM_CLASSES, 3, padding=1) for c, a in zip(channels, ANCHORS_PER_CELL)
        )

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 3, stride=2, padding=1)
        x = F.max_pool2d(self.conv2(x), 3, stride=2, padding=1)
        x = self.inception3(self.inception2(self.inception1(x)))
        f1 = x
        x = self.conv3_2(self.conv3_1(x))
        f2 = x
        x = self.conv4_2(self.conv4_1(x))
        f3 = x
        n = x.shape[0]
        locs, confs = [], []
        for f, loc, conf in zip((f1, f2, f3), self.loc, self.conf):
            # NHWC before flattening keeps each cell's anchors together (row-major cells).
            locs.append(loc(f).permute(0, 2, 3, 1).reshape(n, -1, 4))
            confs.append(conf(f).permute(0, 2, 3, 1).reshape(n, -1, NUM_CLASSES))
        return torch.cat(locs, 1), F.softmax(torch.cat(confs, 1), dim=-1)


def load(weights_path):
    """Builds the network in eval mode with the weights loaded strictly."""
    state = torch.load(weights_path, map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    # Checkpoints saved from nn.DataParallel prefix every key with "module.".
    state = {k[7:] if k.startswith("module.") else k: v for k, v in state.items()}
    net = FaceBoxes()
    net.load_state_dict(state, strict=True)
    net.eval()
    return net
