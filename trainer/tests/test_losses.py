import itertools
import math
import unittest

import torch

from trainer.losses import (ProxySoftmaxLoss, cosine_distance_matrix, distance_weights, mine_triplets,
                            multi_similarity_loss, triplet_margin_loss)


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

    def test_distance_weights_are_the_inverse_sphere_density_with_the_cut_off(self):
        dim = 16

        def inverse_density(d):
            return 1.0 / (d ** (dim - 2) * (1 - d * d / 4) ** ((dim - 3) / 2))

        euclid = torch.tensor([[0.2, 0.5, 0.9, 1.3]])
        w = distance_weights(euclid ** 2 / 2, dim)  # cosine distance = d² / 2 on the unit sphere
        want = torch.tensor([inverse_density(max(float(d), 0.5)) for d in euclid[0]])
        self.assertTrue(torch.allclose(w[0], want / want.max(), rtol=1e-4))
        self.assertEqual(float(w[0, 0]), float(w[0, 1]))  # both weighed at the cut-off
        self.assertGreater(float(w[0, 1]), float(w[0, 2]))
        self.assertGreater(float(w[0, 2]), float(w[0, 3]))

    def test_distance_weights_are_scaled_over_the_eligible_negatives_only(self):
        # the antipode (1 - d²/4 -> 0) outweighs every real candidate; in 128 dimensions, scaled beside it, they
        # underflow to 0, so the weights are scaled over the eligible entries alone
        angles = torch.tensor([0.0, 37.0, 53.0, 180.0]) * torch.pi / 180
        dist = cosine_distance_matrix(torch.stack([angles.cos(), angles.sin()], 1))[:1]
        self.assertEqual(float(distance_weights(dist, 128)[0, 2]), 0.0)
        eligible = distance_weights(dist, 128, eligible=torch.tensor([[False, True, True, False]]))[0]
        self.assertEqual(float(eligible[1]), 1.0)
        self.assertGreater(float(eligible[2]), 0.0)
        self.assertEqual(float(eligible[3]), 0.0)

    def test_distance_weighted_mining_draws_one_valid_negative_per_pair_by_the_weights(self):
        torch.manual_seed(0)
        dim = 8
        # anchor 0 and its positive 1; negatives 2 (near), 3 (middling), 4 (beyond any hinge)
        emb = torch.tensor([[1.0, 0, 0, 0, 0, 0, 0, 0], [0.7, 0.714, 0, 0, 0, 0, 0, 0],
                            [0.8, 0, 0.6, 0, 0, 0, 0, 0], [0.6, 0, 0, 0.8, 0, 0, 0, 0],
                            [-1.0, 0, 0, 0, 0, 0, 0, 0]])
        labels = torch.tensor([0, 0, 1, 2, 3])
        dist = cosine_distance_matrix(emb)
        counts = torch.zeros(5)
        for _ in range(4000):
            a, p, n = mine_triplets(dist, labels, 0.2, "distance-weighted", dim=dim)
            self.assertEqual(sorted(zip(a.tolist(), p.tolist())), [(0, 1), (1, 0)])
            for ai, pi, ni in zip(a.tolist(), p.tolist(), n.tolist()):
                self.assertNotEqual(int(labels[ai]), int(labels[ni]))
            counts[n[a == 0]] += 1
        self.assertEqual(float(counts[4]), 0.0)  # cosine distance 2: past every positive plus the margin
        w = distance_weights(dist, dim)[0] * torch.tensor([0.0, 0.0, 1.0, 1.0, 0.0])
        # scaled beside the antipodal face (1 - d²/4 -> 0), the two drawable ones weigh almost nothing, yet are drawn
        self.assertLess(float(w.sum()), 1e-5)
        self.assertTrue(torch.allclose(counts / counts.sum(), w / w.sum(), atol=0.03))
        self.assertGreater(float(counts[3]), 0.0)  # not only the hardest negative
        with self.assertRaises(ValueError):
            mine_triplets(dist, labels, 0.2, "distance-weighted")

    def test_distance_weighted_loss_averages_the_violating_sampled_triplets(self):
        torch.manual_seed(1)
        emb = torch.randn(24, 32, requires_grad=True)
        labels = torch.arange(6).repeat_interleave(4)
        loss, n = triplet_margin_loss(emb, labels, 0.2, "distance-weighted")
        self.assertGreater(n, 0)
        self.assertLessEqual(n, 24 * 3)  # at most one per anchor-positive pair
        self.assertGreater(float(loss), 0.0)
        loss.backward()
        self.assertGreater(float(emb.grad.abs().sum()), 0.0)

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
