import itertools
import math
import unittest

import torch

from trainer.losses import (ProxySoftmaxLoss, cosine_distance_matrix, mine_triplets, multi_similarity_loss,
                            triplet_margin_loss)


def brute_force(dist, labels, margin, semi_hard_only=False):
    out = set()
    n = len(labels)
    for a, p, ng in itertools.product(range(n), repeat=3):
        if a != p and labels[a] == labels[p] and labels[a] != labels[ng]:
            if dist[a, p] - dist[a, ng] + margin > 0 and (not semi_hard_only or dist[a, ng] > dist[a, p]):
                out.add((a, p, ng))
    return out


class MinerLossTest(unittest.TestCase):
    def test_miner_returns_exactly_the_violating_valid_triplets(self):
        # 2-d unit vectors: class 0 around 0 deg, class 1 around 60 deg, one class-1 item near class 0
        angles = torch.tensor([0.0, 10.0, 60.0, 65.0, 12.0, 180.0]) * torch.pi / 180
        emb = torch.stack([angles.cos(), angles.sin()], 1)
        labels = torch.tensor([0, 0, 1, 1, 1, 2])
        dist = cosine_distance_matrix(emb)
        a, p, n = mine_triplets(dist, labels, 0.2)
        got = set(zip(a.tolist(), p.tolist(), n.tolist()))
        want = brute_force(dist, labels.tolist(), 0.2)
        self.assertEqual(got, want)
        self.assertTrue(got)
        for a, p, n in got:
            self.assertNotEqual(a, p)
            self.assertEqual(labels[a], labels[p])
            self.assertNotEqual(labels[a], labels[n])
            self.assertGreater(float(dist[a, p] - dist[a, n] + 0.2), 0)
        # an easy triplet (class 2 is opposite everything) is never returned as the negative of class 0 items
        self.assertFalse(any(t[0] == 0 and t[2] == 5 for t in got))

    def test_semi_hard_mining_keeps_the_violating_triplets_whose_negative_is_further_than_the_positive(self):
        angles = torch.tensor([0.0, 10.0, 60.0, 65.0, 12.0, 180.0]) * torch.pi / 180
        dist = cosine_distance_matrix(torch.stack([angles.cos(), angles.sin()], 1))
        labels = torch.tensor([0, 0, 1, 1, 1, 2])
        every = set(zip(*(t.tolist() for t in mine_triplets(dist, labels, 0.2))))
        semi = set(zip(*(t.tolist() for t in mine_triplets(dist, labels, 0.2, "semi-hard"))))
        self.assertEqual(semi, brute_force(dist, labels.tolist(), 0.2, semi_hard_only=True))
        # the class-1 face at 12 deg sits among class 0: anchored on it, class 0 is a hard negative, left out;
        # anchored on class 0 (0 deg, positive at 10 deg), it is a semi-hard negative, kept
        self.assertIn((4, 2, 0), every - semi)
        self.assertIn((0, 1, 4), semi)
        loss_every, n_every = triplet_margin_loss(torch.stack([angles.cos(), angles.sin()], 1), labels, 0.2)
        loss_semi, n_semi = triplet_margin_loss(torch.stack([angles.cos(), angles.sin()], 1), labels, 0.2, "semi-hard")
        self.assertEqual((n_every, n_semi), (len(every), len(semi)))
        self.assertLess(float(loss_semi), float(loss_every))  # the hard ones carry the largest hinges
        with self.assertRaises(ValueError):
            mine_triplets(dist, labels, 0.2, "hardest")

    def test_loss_is_zero_when_margin_is_satisfied(self):
        emb = torch.tensor([[1.0, 0, 0], [1.0, 0.01, 0], [0, 1.0, 0], [0, 1.0, 0.01], [0, 0, 1.0]],
                           requires_grad=True)
        loss, n = triplet_margin_loss(emb, torch.tensor([0, 0, 1, 1, 2]), 0.2)
        self.assertEqual(n, 0)
        self.assertEqual(float(loss), 0.0)
        loss.backward()  # still differentiable

    def test_loss_positive_and_differentiable_when_violated(self):
        emb = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [0.1, 1.0]], requires_grad=True)
        loss, n = triplet_margin_loss(emb, torch.tensor([0, 0, 1, 1]), 0.2)
        self.assertGreater(n, 0)
        self.assertGreater(float(loss), 0)
        loss.backward()
        self.assertGreater(float(emb.grad.abs().sum()), 0)

    def test_proxy_loss_runs(self):
        loss = ProxySoftmaxLoss(3, 4)(torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2]))
        self.assertTrue(torch.isfinite(loss))


def multi_similarity_by_hand(emb, labels, alpha, beta, base, eps):
    """The paper's per-anchor loop (mine, then weigh), summed and divided by the batch size."""
    e = torch.nn.functional.normalize(emb, dim=1)
    sim = (e @ e.t()).tolist()
    total, pairs, n = 0.0, 0, len(labels)
    for i in range(n):
        pos = [sim[i][j] for j in range(n) if j != i and labels[j] == labels[i]]
        neg = [sim[i][k] for k in range(n) if labels[k] != labels[i]]
        kept_pos = [s for s in pos if s - eps < max(neg)]
        kept_neg = [s for s in neg if s + eps > min(pos)]
        if not kept_pos or not kept_neg:
            continue
        pairs += len(kept_pos) + len(kept_neg)
        total += math.log(1 + sum(math.exp(-alpha * (s - base)) for s in kept_pos)) / alpha
        total += math.log(1 + sum(math.exp(beta * (s - base)) for s in kept_neg)) / beta
    return total / n, pairs


class MultiSimilarityTest(unittest.TestCase):
    def test_matches_the_papers_per_anchor_definition(self):
        torch.manual_seed(3)
        emb = torch.randn(12, 6)
        labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        got, pairs = multi_similarity_loss(emb, labels, alpha=2.0, beta=40.0, base=0.5, epsilon=0.1)
        want, want_pairs = multi_similarity_by_hand(emb, labels.tolist(), 2.0, 40.0, 0.5, 0.1)
        self.assertGreater(want_pairs, 0)
        self.assertEqual(pairs, want_pairs)
        self.assertAlmostEqual(float(got), want, places=4)

    def test_zero_and_no_pairs_when_classes_are_apart(self):
        emb = torch.tensor([[1.0, 0, 0], [1.0, 0.01, 0], [0, 1.0, 0], [0, 1.0, 0.01], [0, 0, 1.0], [0.01, 0, 1.0]],
                           requires_grad=True)
        loss, pairs = multi_similarity_loss(emb, torch.tensor([0, 0, 1, 1, 2, 2]))
        self.assertEqual((float(loss), pairs), (0.0, 0))
        loss.backward()

    def test_hard_pairs_pull_gradient(self):
        emb = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [0.1, 1.0]], requires_grad=True)
        loss, pairs = multi_similarity_loss(emb, torch.tensor([0, 0, 1, 1]))
        self.assertGreater(pairs, 0)
        self.assertGreater(float(loss), 0)
        loss.backward()
        self.assertGreater(float(emb.grad.abs().sum()), 0)


if __name__ == "__main__":
    unittest.main()
