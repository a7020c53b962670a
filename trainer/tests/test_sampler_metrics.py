import unittest
from collections import Counter

import numpy as np
import torch

from trainer.metrics import nearest_class_mean_top1, retrieval_metrics
from trainer.sampler import PKSampler


class SamplerTest(unittest.TestCase):
    def test_batches_are_p_by_k_balanced(self):
        labels = ["a"] * 10 + ["b"] * 7 + ["c"] * 3 + ["d"] * 12 + ["e"] * 2
        sampler = PKSampler(labels, p=3, k=4, seed=1)
        self.assertEqual(len(sampler), len(labels) // 12)
        batches = list(sampler)
        self.assertEqual(len(batches), len(sampler))
        for batch in batches:
            counts = Counter(labels[i] for i in batch)
            self.assertEqual(len(counts), 3)
            self.assertEqual(set(counts.values()), {4})
            for label, _ in counts.items():
                distinct = len({i for i in batch if labels[i] == label})
                self.assertEqual(distinct, min(4, labels.count(label)))

    def test_p_capped_at_number_of_labels(self):
        sampler = PKSampler(["a", "a", "b", "b"], p=8, k=2, batches_per_epoch=3)
        self.assertEqual([len(b) for b in sampler], [4, 4, 4])

    def test_domain_batches_keep_to_one_source(self):
        # 12 icon characters and 4 fan-art ones: with P = 3 every batch is from one source
        labels = [f"icon{i}" for i in range(12) for _ in range(5)] + [f"art{i}" for i in range(4) for _ in range(9)]
        domains = ["icons"] * 60 + ["art"] * 36
        sampler = PKSampler(labels, p=3, k=2, batches_per_epoch=400, seed=3, domains=domains)
        per_label = Counter()
        for batch in sampler:
            self.assertEqual(len({domains[i] for i in batch}), 1)
            self.assertEqual(set(Counter(labels[i] for i in batch).values()), {2})
            per_label.update({labels[i] for i in batch})
        # sources are drawn in proportion to their characters, so each character comes up about as often
        # (400 batches x 3 labels / 16 = 75 each)
        self.assertTrue(all(50 < n < 100 for n in per_label.values()), per_label)
        art = sum(n for label, n in per_label.items() if label.startswith("art"))
        self.assertTrue(0.15 < art / sum(per_label.values()) < 0.35)

    def test_domain_batches_fill_up_from_other_sources(self):
        # a source with fewer than P characters: its batches take the rest from the others
        labels = ["a"] * 4 + ["b"] * 4 + ["c"] * 4 + ["x"] * 4
        domains = ["one"] * 12 + ["two"] * 4
        for batch in PKSampler(labels, p=3, k=2, batches_per_epoch=50, seed=0, domains=domains):
            self.assertEqual(len({labels[i] for i in batch}), 3)
            if any(labels[i] == "x" for i in batch):
                self.assertEqual(len({domains[i] for i in batch}), 2)

    def test_one_domain_is_plain_p_by_k(self):
        labels = ["a"] * 6 + ["b"] * 6 + ["c"] * 6
        plain = list(PKSampler(labels, p=2, k=3, seed=5))
        self.assertEqual(list(PKSampler(labels, p=2, k=3, seed=5, domains=["s"] * 18)), plain)

    def test_sqrt_weighting_draws_labels_by_the_root_of_their_faces(self):
        # one character with 64 faces among twelve with 4: sqrt weights 8 against 2 each
        labels = ["big"] * 64 + [f"small{i}" for i in range(12) for _ in range(4)]
        counts = {}
        for weighting in ("uniform", "sqrt"):
            per_label = Counter()
            for batch in PKSampler(labels, p=3, k=4, batches_per_epoch=3000, seed=7, weighting=weighting):
                self.assertEqual(set(Counter(labels[i] for i in batch).values()), {4})
                per_label.update({labels[i] for i in batch})
            counts[weighting] = per_label
        # alike: 3 of 13 labels per batch, 3000 x 3 / 13 = 692 each
        self.assertTrue(all(600 < n < 790 for n in counts["uniform"].values()), counts["uniform"])
        # by sqrt the big one is in most batches, and every small one still comes up
        self.assertGreater(counts["sqrt"]["big"], 1.8 * counts["uniform"]["big"])
        self.assertTrue(all(counts["sqrt"][f"small{i}"] > 400 for i in range(12)), counts["sqrt"])

    def test_unknown_weighting_is_refused(self):
        with self.assertRaisesRegex(ValueError, "unknown label weighting 'loud'"):
            PKSampler(["a", "a", "b", "b"], p=2, k=2, weighting="loud")

    def test_a_label_in_two_sources_is_refused(self):
        with self.assertRaises(ValueError):
            PKSampler(["a", "a", "b", "b"], p=2, k=2, domains=["one", "two", "one", "one"])


class MetricsTest(unittest.TestCase):
    def test_map_at_r_hand_computed(self):
        # x queries (R = 2): #0 ranks x,y -> 0.5; #1 ranks x,y -> 0.5; #3 ranks y,x -> 0.25; lone "y" skipped
        emb = torch.tensor([[1.0, 0.0], [0.99, 0.14], [0.9, 0.44], [0.0, 1.0]])
        m = retrieval_metrics(emb, ["x", "x", "y", "x"])
        self.assertEqual(m["queries"], 3)
        self.assertAlmostEqual(m["map_at_r"], (0.5 + 0.5 + 0.25) / 3, places=6)
        self.assertAlmostEqual(m["recall_at_1"], 2 / 3, places=6)
        perfect = retrieval_metrics(torch.tensor([[1.0, 0], [1, 0], [0, 1], [1, 0]]), ["x", "x", "y", "x"])
        self.assertAlmostEqual(perfect["map_at_r"], 1.0)

    def test_same_group_is_not_a_match(self):
        emb = torch.tensor([[1.0, 0], [1.0, 0], [0.8, 0.6], [0, 1.0]])
        m = retrieval_metrics(emb, ["x", "x", "x", "y"], groups=["g", "g", "h", "i"])
        self.assertEqual(m["queries"], 3)

    def test_nearest_class_mean(self):
        rng = np.random.default_rng(0)
        centres = np.eye(3)
        emb = np.concatenate([centres[c] + 0.05 * rng.standard_normal((8, 3)) for c in range(3)])
        labels = sum([[c] * 8 for c in "abc"], [])
        self.assertEqual(nearest_class_mean_top1(emb, labels), 1.0)
        self.assertEqual(nearest_class_mean_top1(emb, labels, shots=5, episodes=5), 1.0)


if __name__ == "__main__":
    unittest.main()
