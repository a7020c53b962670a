"""Retrieval and few-shot metrics on L2-normalised embeddings (cosine similarity)."""
import numpy as np
import torch
import torch.nn.functional as F


def _sim(emb):
    e = F.normalize(torch.as_tensor(emb, dtype=torch.float32), dim=1)
    return e @ e.t()


def retrieval_metrics(emb, labels, groups=None):
    """MAP@R and Recall@1. Each query ranks the other items, excluding its own group (near-duplicates);
    R is the number of same-label items left. Queries with R = 0 are skipped."""
    labels = np.asarray(labels)
    n = len(labels)
    sim = _sim(emb).numpy()
    exclude = np.eye(n, dtype=bool)
    if groups is not None:
        g = np.asarray(groups)
        exclude |= g[:, None] == g[None, :]
    sim[exclude] = -np.inf
    same = (labels[:, None] == labels[None, :]) & ~exclude
    order = np.argsort(-sim, axis=1, kind="stable")
    aps, hits = [], []
    for q in range(n):
        r = int(same[q].sum())
        if r == 0:
            continue
        rel = same[q, order[q, :r]].astype(np.float64)
        aps.append(float((np.cumsum(rel) / np.arange(1, r + 1) * rel).sum() / r))
        hits.append(float(same[q, order[q, 0]]))
    if not aps:
        return {"map_at_r": 0.0, "recall_at_1": 0.0, "queries": 0}
    return {"map_at_r": float(np.mean(aps)), "recall_at_1": float(np.mean(hits)), "queries": len(aps)}


def nearest_class_mean_top1(emb, labels, shots=None, episodes=20, seed=0):
    """Top-1 of a nearest-class-mean (cosine) classifier over the given labels.

    shots=None: closed set, leave-one-out (every other item of each class is support).
    shots=k: k random support items per class, the rest are queries; mean over episodes. Classes with
    <= k items are skipped as queries but never as classes."""
    e = F.normalize(torch.as_tensor(emb, dtype=torch.float32), dim=1)
    labels = np.asarray(labels)
    classes = sorted(set(labels.tolist()))
    idx = {c: np.flatnonzero(labels == c) for c in classes}
    if shots is None:
        sums = torch.stack([e[idx[c]].sum(0) for c in classes])
        counts = torch.tensor([len(idx[c]) for c in classes], dtype=torch.float32)
        y = torch.tensor([classes.index(l) for l in labels])
        correct = 0
        for i in range(len(labels)):
            s, cnt = sums.clone(), counts.clone()
            s[y[i]] -= e[i]
            cnt[y[i]] -= 1
            means = F.normalize(s / cnt.clamp(min=1)[:, None], dim=1)
            scores = means @ e[i]
            scores[cnt == 0] = -np.inf
            correct += int(scores.argmax() == y[i])
        return correct / len(labels)
    rng = np.random.default_rng(seed)
    accs = []
    for _ in range(episodes):
        means, queries, qy = [], [], []
        for ci, c in enumerate(classes):
            perm = rng.permutation(idx[c])
            means.append(F.normalize(e[perm[:shots]].mean(0), dim=0))
            queries.extend(perm[shots:].tolist())
            qy.extend([ci] * len(perm[shots:]))
        if not queries:
            continue
        pred = (e[queries] @ torch.stack(means).t()).argmax(1)
        accs.append(float((pred == torch.tensor(qy)).float().mean()))
    return float(np.mean(accs)) if accs else 0.0
