"""The recipe options: ArcFace loss, the LR schedule, and the mirror-averaged held-out judge."""
import math
import os
import tempfile
import types
import unittest

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from trainer.heldout_eval import evaluate_folder, image_folder, mirrored_embeddings
from trainer.losses import ArcFaceLoss
from trainer.model import EmbeddingNet
from trainer.train import lr_schedule


class ArcFaceTest(unittest.TestCase):
    def test_without_margin_it_is_softmax_over_scaled_cosines(self):
        torch.manual_seed(0)
        head = ArcFaceLoss(5, 8, scale=10.0, margin=0.0)
        emb, y = torch.randn(6, 8), torch.tensor([0, 1, 2, 3, 4, 0])
        cos = F.normalize(emb, dim=1) @ F.normalize(head.centres, dim=1).t()
        self.assertAlmostEqual(float(head(emb, y)), float(F.cross_entropy(10.0 * cos, y)), places=5)

    def test_margin_lowers_only_the_true_class_logit_by_the_angle(self):
        torch.manual_seed(0)
        head = ArcFaceLoss(4, 8, scale=1.0, margin=0.3)
        emb, y = torch.randn(3, 8), torch.tensor([2, 0, 3])
        cos = F.normalize(emb, dim=1) @ F.normalize(head.centres, dim=1).t()
        logits = head.logits(emb, y)
        for i, c in enumerate(y.tolist()):
            theta = math.acos(float(cos[i, c]))
            want = math.cos(theta + 0.3) if theta + 0.3 < math.pi else float(cos[i, c]) - head.fallback
            self.assertAlmostEqual(float(logits[i, c]), want, places=5)
            others = [j for j in range(4) if j != c]
            torch.testing.assert_close(logits[i, others], cos[i, others])

    def test_training_pulls_embeddings_to_their_centres(self):
        torch.manual_seed(0)
        head = ArcFaceLoss(3, 4, scale=16.0, margin=0.3)
        emb = torch.randn(9, 4, requires_grad=True)
        y = torch.tensor([0, 1, 2] * 3)
        opt = torch.optim.SGD([emb, head.centres], lr=0.5)
        before = float(head(emb, y))
        for _ in range(50):
            opt.zero_grad()
            loss = head(emb, y)
            loss.backward()
            opt.step()
        self.assertLess(float(head(emb, y)), 0.2 * before)


class ScheduleTest(unittest.TestCase):
    def _factors(self, schedule, warmup, steps=10, epochs=3, max_steps=None):
        cfg = types.SimpleNamespace(lr_schedule=schedule, warmup_epochs=warmup, max_steps=max_steps)
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        sched = lr_schedule(cfg, opt, steps, epochs)
        out = []
        for _ in range(steps * epochs):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return out

    def test_constant_is_the_old_behaviour(self):
        self.assertEqual(set(self._factors("constant", 0)), {1.0})

    def test_cosine_warms_up_then_decays_to_zero_at_the_last_step(self):
        f = self._factors("cosine", 1.0)
        self.assertLess(f[0], 0.2)
        self.assertEqual(max(f), f[10])
        self.assertAlmostEqual(f[10], 1.0)
        self.assertTrue(all(a >= b for a, b in zip(f[10:], f[11:])))
        self.assertLess(f[-1], 0.01)

    def test_cosine_ends_at_max_steps_when_that_comes_first(self):
        f = self._factors("cosine", 0, max_steps=10)
        self.assertLess(f[9], 0.03)

    def test_unknown_schedule_is_refused(self):
        with self.assertRaises(ValueError):
            self._factors("step", 0)


class HeldoutJudgeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(0)
        for name in ("a", "b", "c"):
            base = rng.integers(0, 256, (8, 8, 3))
            os.makedirs(os.path.join(self.tmp.name, name))
            for i in range(7):
                noisy = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
                Image.fromarray(noisy).resize((40, 40), Image.BILINEAR).save(
                    os.path.join(self.tmp.name, name, f"{i}.png"))
        os.makedirs(os.path.join(self.tmp.name, "empty"))
        torch.manual_seed(0)
        self.net = EmbeddingNet(16).eval()

    def tearDown(self):
        self.tmp.cleanup()

    def test_embeddings_are_mirror_invariant(self):
        items = image_folder(self.tmp.name)
        flipped_dir = os.path.join(self.tmp.name, "flipped")
        os.makedirs(flipped_dir)
        p = items[0]["path"]
        Image.open(p).transpose(Image.FLIP_LEFT_RIGHT).save(os.path.join(flipped_dir, "x.png"))
        e = mirrored_embeddings(self.net, [items[0], {"path": os.path.join(flipped_dir, "x.png")}], 32)
        for layer in ("pooled", "projection"):
            torch.testing.assert_close(e[layer][0], e[layer][1], atol=1e-5, rtol=1e-5)
            self.assertAlmostEqual(float(e[layer][0].norm()), 1.0, places=5)

    def test_reports_both_layers(self):
        r = evaluate_folder(self.net, self.tmp.name, 32, shots=5, episodes=3)
        self.assertEqual((r["identities"], r["images"]), (3, 21))
        for layer in ("pooled", "projection"):
            for key in ("map_at_r", "recall_at_1", "closed_set_top1", "5_shot_top1"):
                self.assertTrue(0.0 <= r[layer][key] <= 1.0, (layer, key, r[layer][key]))


if __name__ == "__main__":
    unittest.main()
