"""Triplet margin loss on cosine distance with an in-batch miner of margin-violating triplets, the
multi-similarity loss with its pair miner, an optional normalised-softmax proxy term, and an ArcFace
(additive angular margin) classification loss."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MARGIN = 0.2


def cosine_distance_matrix(emb):
    e = F.normalize(emb, dim=1)
    return 1.0 - e @ e.t()


# "all": every margin-violating triplet, hard and semi-hard; "semi-hard": only those whose negative is already
# further than the positive (FaceNet, Schroff et al. 2015)
MINING = ("all", "semi-hard")


def mine_triplets(dist, labels, margin=MARGIN, mining="all"):
    """All valid (anchor, positive, negative) index triplets with d(a,p) - d(a,n) + margin > 0.

    That is the hard (d_an < d_ap) and semi-hard (d_ap <= d_an < d_ap + margin) triplets of the batch, or with
    mining="semi-hard" those with d_an > d_ap alone. Returns three LongTensors (possibly empty)."""
    if mining not in MINING:
        raise ValueError(f"unknown mining {mining!r} ({' or '.join(MINING)})")
    n = labels.shape[0]
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(n, dtype=torch.bool, device=labels.device)
    valid = (same & ~eye)[:, :, None] & (~same)[:, None, :]  # [a, p, n]
    with torch.no_grad():
        violating = (dist[:, :, None] - dist[:, None, :] + margin) > 0
        if mining == "semi-hard":
            violating &= dist[:, None, :] > dist[:, :, None]
    a, p, neg = torch.nonzero(valid & violating, as_tuple=True)
    return a, p, neg


def triplet_margin_loss(emb, labels, margin=MARGIN, mining="all"):
    """Mean hinge over mined triplets; (loss, number of triplets). Zero when every triplet satisfies the
    margin."""
    dist = cosine_distance_matrix(emb)
    a, p, n = mine_triplets(dist.detach(), labels, margin, mining)
    if a.numel() == 0:
        return emb.sum() * 0.0, 0
    return F.relu(dist[a, p] - dist[a, n] + margin).mean(), int(a.numel())


def multi_similarity_loss(emb, labels, alpha=2.0, beta=40.0, base=0.5, epsilon=0.1):
    """Multi-similarity loss (Wang et al., CVPR 2019) on cosine similarity; (loss, mined pairs).

    Each anchor keeps the positives less similar than its most similar negative plus epsilon and the
    negatives more similar than its least similar positive minus epsilon, then pays
    log(1 + sum exp(-alpha (s - base))) / alpha over those positives plus
    log(1 + sum exp(beta (s - base))) / beta over those negatives. Unlike the triplet hinge, every
    informative pair keeps a gradient weighted by how hard it is, so batches still teach once most
    triplets satisfy the margin. The defaults are the paper's code's."""
    e = F.normalize(emb, dim=1)
    sim = e @ e.t()
    n = labels.shape[0]
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(n, dtype=torch.bool, device=labels.device)
    pos, neg = same & ~eye, ~same
    with torch.no_grad():
        s = sim.detach()
        big = torch.finfo(s.dtype).max
        hardest_neg = torch.where(neg, s, torch.full_like(s, -big)).max(1, keepdim=True).values
        easiest_pos = torch.where(pos, s, torch.full_like(s, big)).min(1, keepdim=True).values
        keep_pos = pos & (s - epsilon < hardest_neg)
        keep_neg = neg & (s + epsilon > easiest_pos)
    zero = torch.zeros_like(sim)
    pos_term = torch.where(keep_pos, torch.exp(-alpha * (sim - base)), zero).sum(1)
    neg_term = torch.where(keep_neg, torch.exp(beta * (sim - base)), zero).sum(1)
    # As in the paper's code: an anchor counts only with pairs of both kinds left, and the sum is
    # divided by the whole batch, so the loss shrinks as the batches grow easy.
    anchors = keep_pos.any(1) & keep_neg.any(1)
    if not bool(anchors.any()):
        return emb.sum() * 0.0, 0
    pairs = int(keep_pos[anchors].sum() + keep_neg[anchors].sum())
    per_anchor = torch.log1p(pos_term) / alpha + torch.log1p(neg_term) / beta
    return per_anchor[anchors].sum() / n, pairs


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
