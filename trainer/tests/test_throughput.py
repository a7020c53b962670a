import unittest

from trainer.tests.helpers import HAVE_SHARED, MISSING_SHARED, small_shared_items
from trainer.throughput import measure


@unittest.skipUnless(HAVE_SHARED, MISSING_SHARED)
class ThroughputTest(unittest.TestCase):
    def test_reports_both_rates_for_the_device_it_ran_on(self):
        items = small_shared_items(["hatsune_miku", "shana", "suzukaze_aoba"], 4)
        r = measure("cpu", steps=2, batch_p=3, batch_k=2, input_size=64, items=items, warmup=1)
        self.assertEqual(r["device"], "cpu")
        self.assertFalse(r["amp"])
        self.assertIn("logical CPUs", r["device_name"])
        self.assertEqual((r["steps"], r["batch"]), (2, "3x2"))
        self.assertGreater(r["end_to_end_images_per_second"], 0)
        # Prepared batches skip decoding and augmentation, so they are never much slower.
        self.assertGreater(r["model_only_images_per_second"], 0.5 * r["end_to_end_images_per_second"])


if __name__ == "__main__":
    unittest.main()
