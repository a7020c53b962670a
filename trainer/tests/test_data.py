import json
import os
import tempfile
import unittest

import torch
from PIL import Image

from trainer.data import DatasetError, load_dataset, split_items, synthetic_input, train_transform


def items(spec, split="train"):
    """spec: {label: n}; every item is its own group except where noted."""
    out = []
    for label, n in spec.items():
        for i in range(n):
            out.append({"path": f"/x/{label}/{i}.jpg", "label": label, "group": f"{label}-{i}", "split": split})
    return out


class SplitTest(unittest.TestCase):
    def test_no_val_items_holds_out_whole_characters(self):
        data = items({f"c{i}": 6 for i in range(10)})
        train, val, info = split_items(data, seed=3)
        self.assertEqual(info["source"], "held_out_characters")
        train_labels, val_labels = {it["label"] for it in train}, {it["label"] for it in val}
        self.assertFalse(train_labels & val_labels)
        self.assertEqual(len(val_labels), 2)  # ~20 % of 10
        self.assertEqual(len(train) + len(val), len(data))

    def test_groups_never_straddle_the_split(self):
        data = items({f"c{i}": 4 for i in range(5)})
        for it in data:  # every source image holds one face of c0 and one of c1
            if it["label"] in ("c0", "c1"):
                it["group"] = f"img-{it['path'][-5]}"
        for seed in range(6):
            train, val, info = split_items(data, seed=seed)
            self.assertFalse({it["group"] for it in train} & {it["group"] for it in val})

    def test_given_val_split_is_respected(self):
        data = items({"a": 3, "b": 3}) + items({"a": 2, "c": 2}, split="val")
        train, val, info = split_items(data)
        self.assertEqual(info["source"], "dataset")
        self.assertEqual(len(val), 4)
        self.assertAlmostEqual(info["val_unseen_label_fraction"], 0.5)

    def test_too_few_labels(self):
        with self.assertRaises(DatasetError):
            split_items(items({"a": 3, "b": 3}))

    def test_load_dataset_validates(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ds.json")
            with open(path, "w") as f:
                json.dump({"version": 1, "items": [{"path": "rel.jpg", "label": "a"}]}, f)
            with self.assertRaises(DatasetError):
                load_dataset(path)
            with open(path, "w") as f:
                json.dump({"version": 1, "input_size": 96, "items": [{"path": "/a.jpg", "label": "a"}]}, f)
            got, size = load_dataset(path)
            self.assertEqual(size, 96)
            self.assertEqual(got[0]["split"], "train")
            self.assertEqual(got[0]["group"], "/a.jpg")

    def test_synthetic_input_formula(self):
        x = synthetic_input(8)
        self.assertEqual(tuple(x.shape), (1, 3, 8, 8))
        self.assertAlmostEqual(float(x[0, 2, 1, 3]), ((14 + 3 + 15) % 17) / 8 - 1)


class ColourJitterTest(unittest.TestCase):
    def spread_of_mean_brightness(self, colour):
        """How far the mean brightness of one grey image strays over augmented draws."""
        torch.manual_seed(0)
        tf = train_transform(32, colour=colour)
        img = Image.new("RGB", (48, 48), (120, 90, 160))
        means = torch.stack([tf(img).mean() for _ in range(200)])
        return float(means.std())

    def test_strong_varies_colour_more_than_mild(self):
        self.assertGreater(self.spread_of_mean_brightness("strong"), 1.5 * self.spread_of_mean_brightness("mild"))

    def test_none_leaves_colour_alone(self):
        self.assertLess(self.spread_of_mean_brightness("none"), 0.05)
        self.assertGreater(self.spread_of_mean_brightness("mild"), 0.1)

    def test_an_unknown_strength_is_refused(self):
        with self.assertRaisesRegex(ValueError, "unknown colour jitter 'loud'"):
            train_transform(32, colour="loud")


class RandomErasingTest(unittest.TestCase):
    def blanked_shares(self, erasing):
        """Per draw, the share of pixels at exactly 0 in every channel (the normalised mean) of a flat image."""
        torch.manual_seed(0)
        tf = train_transform(32, colour="none", erasing=erasing)
        img = Image.new("RGB", (48, 48), (200, 40, 90))
        return [float((tf(img) == 0).all(0).float().mean()) for _ in range(200)]

    def test_erasing_blanks_one_rectangle_in_that_share_of_draws(self):
        shares = self.blanked_shares(0.5)
        erased = [s for s in shares if s > 0]
        self.assertTrue(0.35 < len(erased) / len(shares) < 0.65, len(erased))
        self.assertTrue(all(0.015 < s < 0.4 for s in erased), erased)

    def test_no_erasing_by_default(self):
        self.assertEqual(max(self.blanked_shares(0.0)), 0.0)

    def test_a_share_outside_0_1_is_refused(self):
        with self.assertRaisesRegex(ValueError, "share of examples, 0 to 1"):
            train_transform(32, erasing=1.5)


if __name__ == "__main__":
    unittest.main()
