"""Class-balanced P x K batch sampler: each batch holds P labels with K items each."""
import random
from collections import defaultdict


class PKSampler:
    def __init__(self, labels, p, k, batches_per_epoch=None, seed=0):
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

    def __len__(self):
        return self.batches

    def __iter__(self):
        for _ in range(self.batches):
            batch = []
            for label in self.rng.sample(self.classes, self.p):
                pool = self.by_label[label]
                if len(pool) >= self.k:
                    batch.extend(self.rng.sample(pool, self.k))
                else:  # small classes repeat items (augmentation makes the copies differ)
                    batch.extend(self.rng.choices(pool, k=self.k))
            yield batch
