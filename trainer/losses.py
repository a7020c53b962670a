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
# further than the positive (FaceNet, Schroff et al. 2015); "distance-weighted": one negative per anchor-positive
# pair, drawn by the inverse of how common its distance is between random points on the sphere (Wu et al., "Sampling
# Matters in Deep Embedding Learning", 2017), so the negatives spread over every distance instead of crowding at
# the hardest
MINING = ("all", "semi-hard", "distance-weighted")

# the paper's cut-off: closer negatives are weighed as if at this Euclidean distance (their weight would explode)
DISTANCE_WEIGHTED_CUTOFF = 0.5


def distance_weights(dist, dim, eligible=None, cutoff=DISTANCE_WEIGHTED_CUTOFF):
    """Unnormalised sampling weights 1 / q(d) for cosine distances, where q(d) ∝ d^(n-2) (1 - d²/4)^((n-3)/2) is
    the density of the Euclidean distance d between two random points of the unit sphere in n = dim dimensions.
    Computed in logs and scaled so the largest eligible weight of each row is 1 (in 128 dimensions the weights
    span far more than float32 holds); ineligible entries weigh 0."""
    d = torch.sqrt((2.0 * dist).clamp(min=0.0)).clamp(min=cutoff, max=2.0 - 1e-4)
    log_q = (dim - 2.0) * torch.log(d) + ((dim - 3.0) / 2.0) * torch.log((1.0 - d * d / 4.0).clamp(min=1e-8))
    log_w = -log_q
    if eligible is not None:
        log_w = log_w.masked_fill(~eligible, float("-inf"))
    top = log_w.max(dim=1, keepdim=True).values
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    return torch.exp(log_w - top)


def _distance_weighted_triplets(dist, same, eye, dim, margin):
    # a negative already past the margin for every positive of its anchor teaches nothing (the paper's
    # "non-zero loss" cut-off, here in the hinge's own terms)
    furthest_pos = torch.where(same & ~eye, dist, torch.zeros_like(dist)).max(dim=1, keepdim=True).values
    weights = distance_weights(dist, dim, eligible=~same & (dist < furthest_pos + margin))
    a, p = torch.nonzero(same & ~eye, as_tuple=True)
    rows = weights[a]
    has_neg = rows.sum(dim=1) > 0
    a, p, rows = a[has_neg], p[has_neg], rows[has_neg]
    if a.numel() == 0:
        return a, p, a
    return a, p, torch.multinomial(rows, 1).squeeze(1)


def mine_triplets(dist, labels, margin=MARGIN, mining="all", dim=None):
    """Valid (anchor, positive, negative) index triplets of the batch; three LongTensors (possibly empty).

    "all": every triplet with d(a,p) - d(a,n) + margin > 0, the hard (d_an < d_ap) and semi-hard
    (d_ap <= d_an < d_ap + margin) ones; "semi-hard": those with d_an > d_ap alone; "distance-weighted": one
    sampled negative per anchor-positive pair (needs dim, the embedding's width), margin-violating or not."""
    if mining not in MINING:
        raise ValueError(f"unknown mining {mining!r} ({', '.join(MINING)})")
    n = labels.shape[0]
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(n, dtype=torch.bool, device=labels.device)
    if mining == "distance-weighted":
        if dim is None:
            raise ValueError("distance-weighted mining needs the embedding's dimension")
        with torch.no_grad():
            return _distance_weighted_triplets(dist, same, eye, dim, margin)
    valid = (same & ~eye)[:, :, None] & (~same)[:, None, :]  # [a, p, n]
    with torch.no_grad():
        violating = (dist[:, :, None] - dist[:, None, :] + margin) > 0
        if mining == "semi-hard":
            violating &= dist[:, None, :] > dist[:, :, None]
    a, p, neg = torch.nonzero(valid & violating, as_tuple=True)
    return a, p, neg


def triplet_margin_loss(emb, labels, margin=MARGIN, mining="all"):
    """Mean hinge over the mined triplets that violate the margin; (loss, number of those triplets). Zero when
    every triplet satisfies the margin."""
    dist = cosine_distance_matrix(emb)
    a, p, n = mine_triplets(dist.detach(), labels, margin, mining, dim=emb.shape[1])
    if a.numel() == 0:
        return emb.sum() * 0.0, 0
    hinge = F.relu(dist[a, p] - dist[a, n] + margin)
    active = hinge.detach() > 0
    if not bool(active.any()):
        return emb.sum() * 0.0, 0
    return hinge[active].mean(), int(active.sum())


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
