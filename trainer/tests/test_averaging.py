import json
import os
import tempfile
import unittest

import torch

from trainer.averaging import TailAverage
from trainer.tests.helpers import HAVE_SHARED, MISSING_SHARED, small_shared_items
from trainer.train import TrainConfig, run

LABELS = ["hatsune_miku", "suzukaze_aoba", "nishikino_maki", "shana", "toyama_rin"]


class TailAverageTest(unittest.TestCase):
    def test_means_floats_in_their_dtype_and_keeps_the_latest_integer_buffers(self):
        tail = TailAverage()
        half = torch.float16
        tail.add({"w": torch.tensor([1.0, 2.0]), "h": torch.tensor([1.0], dtype=half), "n": torch.tensor(3)}, 4)
        tail.add({"w": torch.tensor([2.0, 4.0]), "h": torch.tensor([3.0], dtype=half), "n": torch.tensor(7)}, 5)
        tail.add({"w": torch.tensor([6.0, 0.0]), "h": torch.tensor([2.0], dtype=half), "n": torch.tensor(9)}, 6)
        like = {"w": torch.zeros(2), "h": torch.zeros(1, dtype=torch.float16), "n": torch.tensor(0)}
        out = tail.state(like)
        self.assertTrue(torch.equal(out["w"], torch.tensor([3.0, 2.0])))
        self.assertEqual(out["h"].dtype, torch.float16)
        self.assertEqual(float(out["h"][0]), 2.0)
        self.assertEqual(int(out["n"]), 9)
        self.assertEqual((tail.count, tail.epochs), (3, [4, 5, 6]))

    def test_later_changes_to_an_added_state_do_not_leak_in(self):
        tail = TailAverage()
        w = torch.tensor([1.0])
        tail.add({"w": w}, 1)
        w += 10  # a training step updates the parameters in place
        tail.add({"w": w}, 2)
        self.assertEqual(float(tail.state({"w": w})["w"][0]), 6.0)

    def test_nothing_averaged_is_an_error(self):
        with self.assertRaises(ValueError):
            TailAverage().state({"w": torch.zeros(1)})


@unittest.skipUnless(HAVE_SHARED, MISSING_SHARED)
class ServedAverageTest(unittest.TestCase):
    def test_the_served_checkpoint_is_the_mean_of_the_tail_epochs(self):
        with tempfile.TemporaryDirectory() as tmp:
            dataset = os.path.join(tmp, "dataset.json")
            with open(dataset, "w") as f:
                # 4 faces each: 16 training faces, two P3 x K2 steps an epoch are enough to move the weights
                json.dump({"version": 1, "input_size": 64, "items": small_shared_items(LABELS, 4)}, f)
            seen = {}

            def keep(epoch, net):
                seen[epoch] = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}

            out = os.path.join(tmp, "run")
            cfg = TrainConfig(dataset=dataset, out=out, epochs=3, batch_p=3, batch_k=2, dim=32,
                              device="cpu", patience=1000, final_refit=False, average_from=2)
            metrics = run(cfg, on_epoch=keep)
            self.assertEqual(metrics["averaged_epochs"], [2, 3])
            served = torch.load(os.path.join(out, "checkpoint.pt"), map_location="cpu")["state_dict"]
            weight = "projection.weight"
            self.assertFalse(torch.allclose(seen[2][weight], seen[3][weight]))  # the epochs did train
            torch.testing.assert_close(served[weight], (seen[2][weight] + seen[3][weight]) / 2)
            with open(os.path.join(out, "metrics.json")) as f:
                written = json.load(f)
            self.assertEqual(written["averaged_epochs"], [2, 3])
            self.assertIn("map_at_r", written["val"]["pooled"])


if __name__ == "__main__":
    unittest.main()
