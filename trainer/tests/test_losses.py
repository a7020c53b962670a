import itertools
import unittest

import torch

from trainer.losses import ProxySoftmaxLoss, cosine_distance_matrix, mine_triplets, triplet_margin_loss


def brute_force(dist, labels, margin):
    out = set()
    n = len(labels)
    for a, p, ng in itertools.product(range(n), repeat=3):
        if a != p and labels[a] == labels[p] and labels[a] != labels[ng]:
            if dist[a, p] - dist[a, ng] + margin > 0:
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


if __name__ == "__main__":
    unittest.main()
