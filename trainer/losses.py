"""Triplet margin loss on cosine distance with an in-batch miner of margin-violating triplets, an
optional normalised-softmax proxy term, and an ArcFace (additive angular margin) classification loss."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MARGIN = 0.2


def cosine_distance_matrix(emb):
    e = F.normalize(emb, dim=1)
    return 1.0 - e @ e.t()


def mine_triplets(dist, labels, margin=MARGIN):
    """All valid (anchor, positive, negative) index triplets with d(a,p) - d(a,n) + margin > 0.

    That is the hard (d_an < d_ap) and semi-hard (d_ap <= d_an < d_ap + margin) triplets of the batch.
    Returns three LongTensors (possibly empty)."""
    n = labels.shape[0]
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(n, dtype=torch.bool, device=labels.device)
    valid = (same & ~eye)[:, :, None] & (~same)[:, None, :]  # [a, p, n]
    with torch.no_grad():
        violating = (dist[:, :, None] - dist[:, None, :] + margin) > 0
    a, p, neg = torch.nonzero(valid & violating, as_tuple=True)
    return a, p, neg


def triplet_margin_loss(emb, labels, margin=MARGIN):
    """Mean hinge over mined triplets; (loss, number of triplets). Zero when every triplet satisfies the
    margin."""
    dist = cosine_distance_matrix(emb)
    a, p, n = mine_triplets(dist.detach(), labels, margin)
    if a.numel() == 0:
        return emb.sum() * 0.0, 0
    return F.relu(dist[a, p] - dist[a, n] + margin).mean(), int(a.numel())


class ProxySoftmaxLoss(nn.Module):
    """Normalised-softmax (cosine classifier) over training classes with one learnable proxy each."""

    def __init__(self, num_classes, dim, scale=16.0):
        super().__init__()
        self.proxies = nn.Parameter(torch.randn(num_classes, dim) * 0.01)
        self.scale = scale

    def forward(self, emb, labels):
        logits = F.normalize(emb, dim=1) @ F.normalize(self.proxies, dim=1).t()
        return F.cross_entropy(self.scale * logits, labels)


class ArcFaceLoss(nn.Module):
    """Additive angular margin softmax (Deng et al., ArcFace, CVPR 2019): logits s*cos(theta + m) for the
    true class and s*cos(theta) for the others, one learnable centre per training class.

    Where theta + m would pass pi the logit falls back to the CosFace-style s*(cos(theta) - m*sin(m)), the
    paper's "easy margin" fix that keeps the target logit monotonic in theta."""

    def __init__(self, num_classes, dim, scale=30.0, margin=0.3):
        super().__init__()
        self.centres = nn.Parameter(torch.randn(num_classes, dim) * 0.01)
        nn.init.xavier_uniform_(self.centres)
        self.scale, self.margin = scale, margin
        self.cos_m, self.sin_m = math.cos(margin), math.sin(margin)
        self.threshold = math.cos(math.pi - margin)
        self.fallback = math.sin(math.pi - margin) * margin

    def logits(self, emb, labels):
        cos = (F.normalize(emb, dim=1) @ F.normalize(self.centres, dim=1).t()).clamp(-1.0 + 1e-7, 1.0 - 1e-7)
        target = cos.gather(1, labels[:, None])
        sin = (1.0 - target * target).sqrt()
        with_margin = target * self.cos_m - sin * self.sin_m
        with_margin = torch.where(target > self.threshold, with_margin, target - self.fallback)
        return self.scale * cos.scatter(1, labels[:, None], with_margin)

    def forward(self, emb, labels):
        return F.cross_entropy(self.logits(emb, labels), labels)
