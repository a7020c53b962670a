import json
import os
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from trainer.data import (STYLE_CHANGES, DatasetError, load_dataset, split_items, style_change, style_jitter,
                          synthetic_input, train_transform)


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


def _line_art(size=96):
    """Black strokes and a few flat fills on white, like a face's line art: sharp edges, few colour levels."""
    rng = np.random.default_rng(0)
    arr = np.full((size, size, 3), 255, np.uint8)
    for _ in range(6):
        y, x = rng.integers(0, size - 20, 2)
        arr[y:y + 20, x:x + 20] = rng.integers(60, 250, 3)
    for k in range(8, size, 12):
        arr[k:k + 2, :] = 0
        arr[:, k:k + 1] = 0
    return Image.fromarray(arr)


def _edge_energy(img):
    a = np.asarray(img, np.float32)
    return float(np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean())


class StyleJitterTest(unittest.TestCase):
    def test_each_change_redraws_the_lines_but_keeps_size_and_colour(self):
        img = _line_art()
        energy, mean = _edge_energy(img), np.asarray(img, np.float32).mean((0, 1))
        torch.manual_seed(0)
        outs = {name: style_change(name)(img) for name in STYLE_CHANGES}
        for name, out in outs.items():
            self.assertEqual(out.size, img.size, name)
            self.assertFalse(np.array_equal(np.asarray(out), np.asarray(img)), name)
            # the character's colours stay: each channel's mean moves by less than one posterise step (16 levels)
            self.assertLess(np.abs(np.asarray(out, np.float32).mean((0, 1)) - mean).max(), 16, name)
        self.assertLess(_edge_energy(outs["blur"]), 0.9 * energy)
        self.assertLess(_edge_energy(outs["down-up"]), 0.9 * energy)
        self.assertGreater(_edge_energy(outs["sharpen"]), energy)
        self.assertTrue((np.asarray(outs["posterise"]) % 16 == 0).all())

    def test_the_share_of_examples_restyled_and_every_change_drawn(self):
        img = _line_art()
        energy, plain = _edge_energy(img), np.asarray(img)
        restyle = style_jitter(0.5)
        torch.manual_seed(0)
        kinds = {"same": 0, "posterised": 0, "sharper": 0, "softer": 0}
        for _ in range(400):
            out = np.asarray(restyle(img))
            if np.array_equal(out, plain):
                kinds["same"] += 1
            elif (out % 16 == 0).all():
                kinds["posterised"] += 1
            elif _edge_energy(out) > energy:
                kinds["sharper"] += 1
            else:
                kinds["softer"] += 1  # blur or down-up
        self.assertTrue(160 < kinds["same"] < 240, kinds)
        self.assertTrue(25 < kinds["posterised"] < 75 and 25 < kinds["sharper"] < 75, kinds)
        self.assertTrue(60 < kinds["softer"] < 140, kinds)

    def test_none_by_default_and_a_share_outside_0_1_refused(self):
        self.assertIsNone(style_jitter(0.0))
        self.assertFalse(any("RandomApply" in type(t).__name__ for t in train_transform(32).transforms))
        self.assertTrue(any("RandomApply" in type(t).__name__ for t in train_transform(32, style=0.5).transforms))
        with self.assertRaisesRegex(ValueError, "style jitter is a share of examples, 0 to 1, not 1.5"):
            train_transform(32, style=1.5)
        with self.assertRaisesRegex(ValueError, "unknown style change 'sepia'"):
            style_change("sepia")


if __name__ == "__main__":
    unittest.main()
