"""Class-balanced P x K batch sampler: each batch holds P labels with K items each."""
import random
from collections import defaultdict


class PKSampler:
    """With `domains` (one per item: the source an item came from, e.g. a game or a fan-art set), each
    batch draws its P labels from one source where it can, the source picked in proportion to its labels,
    so every label still comes up about as often. In a mixed batch a fan-art face's negatives are mostly
    card icons, which it tells apart by drawing style alone; same-source negatives share the style, so
    only identity separates them."""

    def __init__(self, labels, p, k, batches_per_epoch=None, seed=0, domains=None):
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
        self.domains = _labels_by_domain(labels, domains) if domains is not None else None
        if self.domains is not None and len(self.domains) < 2:
            self.domains = None  # one source: plain P x K, the same batches as without domains

    def __len__(self):
        return self.batches

    def _labels_of_batch(self):
        if self.domains is None:
            return self.rng.sample(self.classes, self.p)
        names = sorted(self.domains)
        own = self.domains[self.rng.choices(names, weights=[len(self.domains[n]) for n in names])[0]]
        chosen = self.rng.sample(own, min(self.p, len(own)))
        if len(chosen) < self.p:  # a source with fewer than P labels: the rest come from the others
            taken = set(chosen)
            chosen += self.rng.sample([c for c in self.classes if c not in taken], self.p - len(chosen))
        return chosen

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
