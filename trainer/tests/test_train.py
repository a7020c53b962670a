import unittest

import torch

from trainer.data import ImageCache, preprocess, train_transform
from trainer.losses import triplet_margin_loss
from trainer.model import FEATURE_BLOCKS, EmbeddingNet, imagenet_embedding_net
from trainer.sampler import PKSampler
from trainer.tests.helpers import HAVE_SHARED, MISSING_SHARED, small_shared_items

LABELS = ["hatsune_miku", "suzukaze_aoba", "nishikino_maki", "shana"]


class FreezeBlocksTest(unittest.TestCase):
    def test_freezing_n_blocks_leaves_the_rest_of_the_backbone_and_the_projection_training(self):
        net = EmbeddingNet(8)
        self.assertEqual(len(net.features), FEATURE_BLOCKS)  # the bound --freeze-blocks accepts
        net.freeze_blocks(2)
        trainable = [any(p.requires_grad for p in block.parameters()) for block in net.features]
        self.assertEqual(trainable, [False, False] + [True] * (FEATURE_BLOCKS - 2))
        self.assertTrue(all(p.requires_grad for p in net.projection.parameters()))


@unittest.skipUnless(HAVE_SHARED, MISSING_SHARED)
class TrainStepsTest(unittest.TestCase):
    def test_a_few_real_steps_lower_the_loss(self):
        torch.manual_seed(0)
        size = 96
        data = small_shared_items(LABELS, 8)
        cache = ImageCache()
        label_ids = torch.tensor([LABELS.index(it["label"]) for it in data])
        clean = torch.stack([preprocess(cache.get(it["path"]), size) for it in data])
        net = imagenet_embedding_net(64)
        net.freeze_blocks(4)
        opt = torch.optim.Adam([{"params": net.projection.parameters(), "lr": 1e-3},
                                {"params": [p for p in net.features.parameters() if p.requires_grad], "lr": 1e-4}])

        def clean_loss():
            with torch.no_grad():
                return float(triplet_margin_loss(net(clean)[1], label_ids)[0])

        before = clean_loss()
        tf = train_transform(size)
        sampler = PKSampler([it["label"] for it in data], p=4, k=4, batches_per_epoch=8, seed=0)
        for batch in sampler:
            x = torch.stack([tf(cache.get(data[i]["path"])) for i in batch])
            loss, _ = triplet_margin_loss(net(x)[1], label_ids[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        after = clean_loss()
        self.assertGreater(before, 0)
        self.assertLess(after, before * 0.8, f"loss {before:.4f} -> {after:.4f}")


if __name__ == "__main__":
    unittest.main()
