"""Class-balanced P x K batch sampler: each batch holds P labels with K items each."""
import math
import random
from collections import defaultdict


class PKSampler:
    """With `domains` (one per item: the source an item came from, e.g. a game or a fan-art set), each
    batch draws its P labels from one source where it can, the source picked in proportion to its labels,
    so every label still comes up about as often. In a mixed batch a fan-art face's negatives are mostly
    card icons, which it tells apart by drawing style alone; same-source negatives share the style, so
    only identity separates them."""

    def __init__(self, labels, p, k, batches_per_epoch=None, seed=0, domains=None, weighting="uniform"):
        self.by_label = defaultdict(list)
        for i, label in enumerate(labels):
            self.by_label[label].append(i)
        self.classes = sorted(self.by_label)
        if len(self.classes) < 2:
            raise ValueError("P x K sampling needs at least two labels")
        self.p = min(p, len(self.classes))
        self.k = k
        # one epoch ~ one pass over the data
        self.batches = batches_per_epoch or max(1, len(labels) // (self.p * self.k))
        self.rng = random.Random(seed)
        self.weights = label_weights(self.classes, self.by_label, weighting)
        self.domains = _labels_by_domain(labels, domains) if domains is not None else None
        if self.domains is not None and len(self.domains) < 2:
            self.domains = None  # one source: plain P x K, the same batches as without domains

    def __len__(self):
        return self.batches

    def _labels_of_batch(self):
        if self.domains is None:
            return self._sample(self.classes, self.p)
        names = sorted(self.domains)
        own = self.domains[self.rng.choices(names, weights=[len(self.domains[n]) for n in names])[0]]
        chosen = self._sample(own, min(self.p, len(own)))
        if len(chosen) < self.p:  # a source with fewer than P labels: the rest come from the others
            taken = set(chosen)
            chosen += self._sample([c for c in self.classes if c not in taken], self.p - len(chosen))
        return chosen

    def _sample(self, labels, n):
        if self.weights is None:
            return self.rng.sample(labels, n)
        return _weighted_sample(self.rng, labels, [self.weights[c] for c in labels], n)

    def __iter__(self):
        for _ in range(self.batches):
            batch = []
            for label in self._labels_of_batch():
                pool = self.by_label[label]
                if len(pool) >= self.k:
                    batch.extend(self.rng.sample(pool, self.k))
                else:  # small classes repeat items (augmentation makes the copies differ)
                    batch.extend(self.rng.choices(pool, k=self.k))
            yield batch


LABEL_WEIGHTING = ("uniform", "sqrt")


def label_weights(classes, by_label, weighting):
    """How often each label is drawn into a batch: None for every label alike; "sqrt" in proportion to the
    square root of its item count (square-root sampling, Mahajan et al. 2018), so a label with many
    varied pictures is seen more often than one with a handful, without drowning the small ones."""
    if weighting not in LABEL_WEIGHTING:
        raise ValueError(f"unknown label weighting {weighting!r}")
    if weighting == "uniform":
        return None
    return {c: math.sqrt(len(by_label[c])) for c in classes}


def _weighted_sample(rng, population, weights, n):
    """n distinct items, each drawn with probability in proportion to its weight among those left
    (Efraimidis and Spirakis 2006: the n largest keys u ** (1 / w))."""
    keys = [(rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)]
    keys.sort(reverse=True)
    return [population[i] for _, i in keys[:n]]


def _labels_by_domain(labels, domains):
    if len(domains) != len(labels):
        raise ValueError("one domain per item is needed")
    domain_of = {}
    for label, domain in zip(labels, domains):
        if domain_of.setdefault(label, domain) != domain:
            raise ValueError(f"label {label!r} comes from more than one source")
    by_domain = defaultdict(list)
    for label in sorted(domain_of):
        by_domain[domain_of[label]].append(label)
    return dict(by_domain)
