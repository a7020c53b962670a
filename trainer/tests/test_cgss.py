"""The CG dataset builder on a fixture it makes itself in both snapshot layouts (synthetic PIL images)."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np
import torch
from PIL import Image

from trainer.cgss import SPLIT_FILE, SnapshotError, build, detect_layout, load_split
from trainer.data import load_dataset
from trainer.tests.helpers import HAVE_SHARED, MISSING_SHARED, run_main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pattern(seed, size):
    """A distinct image per seed: smooth random blobs (so the duplicate check does not merge them)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.BILINEAR)


def make_card_icons(root, cards):
    """cards: [(rarity, card_id, title or None, name, seed)]"""
    for rarity, card, title, name, seed in cards:
        folder = os.path.join(root, "cgss-checker", "data", "images", rarity)
        os.makedirs(folder, exist_ok=True)
        fname = f"{card}_[{title}]{name}.jpg" if title is not None else f"{card}_{name}.jpg"
        _pattern(seed, (100, 100)).save(os.path.join(folder, fname), quality=95)


def make_ssr_strips(root, strips):
    """strips: [(img stem, Japanese name, seed of the left half, seed of the right half)]"""
    os.makedirs(os.path.join(root, "public"))
    os.makedirs(os.path.join(root, "components"))
    entries = []
    for stem, name, left, right in strips:
        strip = Image.new("RGBA", (248, 124), (0, 0, 0, 0))
        strip.paste(_pattern(left, (124, 124)).convert("RGBA"), (0, 0))
        strip.paste(_pattern(right, (124, 124)).convert("RGBA"), (124, 0))
        strip.save(os.path.join(root, "public", f"{stem}.png"))
        entries.append({"card_name": "x", "name_en": stem, "name": name, "img": stem})
    with open(os.path.join(root, "components", "data.json"), "w", encoding="utf-8") as f:
        json.dump(entries, f, ensure_ascii=False)


class CgssBuilderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        t = self.tmp.name
        self.icons, self.strips, self.out = (os.path.join(t, d) for d in ("icons", "strips", "out"))
        os.makedirs(self.out)
        make_card_icons(self.icons, [
            ("N", 1, None, "島村卯月", 1), ("SR", 3, "タイトル", "島村卯月", 2),
            ("SSR", 5, "ステージオブマジック", "島村卯月", 3),
            ("N", 7, None, "渋谷凛", 4), ("R", 9, "夏", "渋谷凛", 5),
            ("N", 11, None, "高垣楓", 6), ("SR", 13, "月", "高垣楓", 7),
            ("N", 15, None, "本田未央", 8), ("R", 17, "x", "本田未央", 9),
            ("N", 19, None, "ぴにゃこら太", 10),  # a mascot, not an idol
        ])
        # uzuki1's un-evolved half is the SSR card icon above (seed 3): written once
        make_ssr_strips(self.strips, [("uzuki1", "島村卯月", 3, 11), ("rin1", "渋谷凛", 12, 13),
                                      ("kaede1", "高垣楓", 14, 15)])
        self.split = os.path.join(t, "split.json")
        with open(self.split, "w", encoding="utf-8") as f:
            json.dump({"heldout": ["高垣楓"], "val": ["本田未央"]}, f, ensure_ascii=False)

    def tearDown(self):
        self.tmp.cleanup()

    def _build(self):
        return build([self.icons, self.strips], os.path.join(self.out, "dataset.json"), split_file=self.split)

    def test_detects_both_layouts_and_rejects_other_folders(self):
        self.assertEqual(detect_layout(self.icons)[0], "card-icons")
        self.assertEqual(detect_layout(self.strips), ("ssr-strips", self.strips))
        with self.assertRaises(SnapshotError):
            detect_layout(self.out)

    def test_merges_sources_trims_splits_strips_and_drops_non_idols(self):
        summary = self._build()
        self.assertEqual(summary["layouts"], ["card-icons", "ssr-strips"])
        self.assertEqual((summary["dropped_not_idol"], summary["dropped_duplicate"]), (1, 1))
        items, size = load_dataset(os.path.join(self.out, "dataset.json"))
        self.assertEqual(size, 160)
        by_label = {}
        for it in items:
            by_label.setdefault(it["label"], []).append(it)
        self.assertEqual(sorted(by_label), sorted(["島村卯月", "渋谷凛", "本田未央"]))
        # 3 card icons + the evolved half of uzuki1 (its un-evolved half duplicates the SSR card)
        self.assertEqual(len(by_label["島村卯月"]), 4)
        self.assertEqual(len(by_label["渋谷凛"]), 4)  # 2 icons + both halves of rin1
        rin_strip = [it for it in by_label["渋谷凛"] if it["group"] == "ssr-strips/rin1"]
        self.assertEqual(len(rin_strip), 2)  # both halves, one group (the same card)
        for it in items:
            self.assertTrue(os.path.isabs(it["path"]) and os.path.isfile(it["path"]))
            with Image.open(it["path"]) as im:
                # 8 % off each side: 100 -> 84 for card icons, 124 -> 104 for a strip half
                self.assertIn(im.size, [(84, 84), (104, 104)])
                self.assertEqual(im.mode, "RGB")
        self.assertEqual({it["split"] for it in by_label["本田未央"]}, {"val"})
        self.assertEqual({it["split"] for it in by_label["島村卯月"]}, {"train"})

    def test_held_out_idols_only_in_the_image_folder_tree(self):
        summary = self._build()
        self.assertEqual((summary["heldout_labels"], summary["heldout_files"]), (1, 4))
        items, _ = load_dataset(os.path.join(self.out, "dataset.json"))
        self.assertNotIn("高垣楓", {it["label"] for it in items})
        files = sorted(os.listdir(os.path.join(self.out, "heldout", "高垣楓")))
        self.assertEqual(files, ["card-icons_N_11.png", "card-icons_SR_13.png", "ssr-strips_kaede1a.png",
                                 "ssr-strips_kaede1b.png"])

    def test_trimmed_crop_is_the_centre_of_the_icon(self):
        self._build()
        src = Image.open(os.path.join(self.icons, "cgss-checker", "data", "images", "R", "9_[夏]渋谷凛.jpg")).convert("RGB")
        crop = Image.open(os.path.join(self.out, "crops", "渋谷凛", "card-icons_R_9.png"))
        np.testing.assert_array_equal(np.asarray(crop), np.asarray(src.crop((8, 8, 92, 92))))

    def test_cli_reports_a_bad_snapshot_with_exit_code_2_and_writes_nothing(self):
        out = os.path.join(self.out, "bad.json")
        code, events, stderr = run_main("dataset", "cgss", "--snapshot", self.out, "--out", out)
        self.assertEqual(code, 2, stderr[-2000:])
        event = events[-1]
        self.assertEqual(event["event"], "error")
        self.assertIn("neither a card-icon tree", event["message"])
        self.assertFalse(os.path.exists(out))

    def test_cli_builds_the_dataset(self):
        out = os.path.join(self.out, "cli", "dataset.json")
        os.makedirs(os.path.dirname(out))
        code, events, stderr = run_main("dataset", "cgss", "--snapshot", self.icons, "--snapshot", self.strips,
                                        "--out", out, "--holdout", self.split)
        self.assertEqual(code, 0, stderr[-2000:])
        done = events[-1]
        self.assertEqual((done["event"], done["items"], done["labels"]), ("done", 10, 3))
        self.assertTrue(os.path.isdir(os.path.join(os.path.dirname(out), "heldout", "高垣楓")))


@unittest.skipUnless(HAVE_SHARED, MISSING_SHARED)
class BuildDefaultTest(unittest.TestCase):
    def setUp(self):
        CgssBuilderTest.setUp(self)
        make_card_icons(self.icons, [("N", 21, None, "星輝子", 20), ("R", 23, "y", "星輝子", 21)])
        with open(self.split, "w", encoding="utf-8") as f:
            json.dump({"heldout": ["高垣楓", "星輝子"], "val": ["本田未央"]}, f, ensure_ascii=False)
        # Another franchise's set in the shared layout: its test rows must stay out of training.
        self.shared = os.path.join(self.tmp.name, "shared")
        rows = [("a/0.png", "alice", "train"), ("a/1.png", "alice", "train"), ("a/2.png", "alice", "test"),
                ("b/0.png", "bob", "train"), ("b/1.png", "bob", "train"), ("b/2.png", "bob", "test")]
        for i, (rel, _, _) in enumerate(rows):
            os.makedirs(os.path.dirname(os.path.join(self.shared, "tiny", rel)), exist_ok=True)
            _pattern(100 + i, (64, 64)).save(os.path.join(self.shared, "tiny", rel))
        with open(os.path.join(self.shared, "tiny", "labels.csv"), "w", encoding="utf-8") as f:
            f.write("path,label,orig_split\n" + "".join(f"{p},{lab},{sp}\n" for p, lab, sp in rows))

    def tearDown(self):
        self.tmp.cleanup()

    def build_default(self, *options):
        """The one command on the fixture, tiny and on the CPU: (argv, env, out, work)."""
        from trainer import default_source_onnx
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", IDOLTAG_SOURCE_ONNX=default_source_onnx(),
                   IDOLTAG_SHARED_DATA=self.shared, TRAINER_THREADS="2")
        out, work = os.path.join(self.out, "model"), os.path.join(self.out, "work")
        argv = [sys.executable, "-m", "trainer", "build-default", "--snapshot", self.icons, "--snapshot", self.strips,
                "--out", out, "--work", work, "--holdout", self.split, "--input-size", "64", "--device", "cpu",
                "--shared-train", "tiny", "--batch-p", "2", "--batch-k", "2", "--seeds", "3,4", *options]
        return argv, env, out, work

    def test_one_command_builds_a_portable_model_and_judges_it_on_the_held_out_idols(self):
        argv, env, out, work = self.build_default("--epochs", "1", "--max-steps", "2", "--loss", "multi-similarity",
                                                  "--mining", "semi-hard", "--freeze-blocks", "2")
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        events = [json.loads(line) for line in proc.stdout.strip().splitlines()]
        built = events[-1]
        self.assertEqual(built["event"], "built")
        # the two seeds trained side by side (the default on a CPU), each run's events naming its seed
        self.assertEqual({e["seed"] for e in events if e["event"] == "epoch"}, {3, 4})
        started = [(e["seed"], e["jobs"], e["threads"]) for e in events if e.get("stage") == "train"]
        self.assertEqual(started, [(3, 2, 1), (4, 2, 1)])  # TRAINER_THREADS=2: one thread each
        self.assertIn("[seed 4] ", proc.stderr)
        self.assertEqual(built["heldout_idols"]["identities"], 2)
        self.assertEqual(sorted(f for f in os.listdir(out) if not f.startswith(".")),
                         ["checkpoint.pt", "metrics.json", "model.json", "model.onnx", "samples.json"])
        with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
            metrics = json.load(f)
        # the overrides win; the rest of the recipe (here its schedule) stays
        # two seeds: two runs, then their greedy weight average; the overrides win, the rest of the recipe stays
        self.assertEqual([r["seed"] for r in metrics["runs"]], [3, 4])
        self.assertEqual({r["config"]["loss"] for r in metrics["runs"]}, {"multi-similarity"})
        self.assertEqual({r["config"]["lr_schedule"] for r in metrics["runs"]}, {"cosine"})
        self.assertEqual({r["config"]["mining"] for r in metrics["runs"]}, {"semi-hard"})
        self.assertEqual({r["config"]["freeze_blocks"] for r in metrics["runs"]}, {2})
        self.assertEqual((metrics["build"]["recipe"]["seeds"], metrics["build"]["recipe"]["soup"]), ([3, 4], "uniform"))
        self.assertEqual(metrics["build"]["recipe"]["jobs"], 2)
        self.assertEqual(metrics["soup"]["members"], ["seed-3", "seed-4"])
        self.assertEqual(len(metrics["soup"]["ingredients"]), 2)
        self.assertEqual(metrics["build"]["dataset"]["heldout_files"], 6)
        self.assertEqual(metrics["build"]["dataset"]["shared_train"], {"tiny": 4})
        self.assertEqual(metrics["build"]["recipe"]["shared_train"], ["tiny"])
        self.assertEqual({(r["config"]["batch_p"], r["config"]["batch_k"]) for r in metrics["runs"]}, {(2, 2)})
        self.assertEqual(metrics["build"]["recipe"]["input_size"], 64)
        with open(os.path.join(work, "dataset.json"), encoding="utf-8") as f:
            doc = json.load(f)
        self.assertEqual(doc["input_size"], 64)  # the dataset says the size the recipe trains at
        trained = [it for it in doc["items"] if it["label"].startswith("tiny:")]
        self.assertEqual(sorted(os.path.basename(os.path.dirname(it["path"])) + "/" + os.path.basename(it["path"])
                                for it in trained), ["a/0.png", "a/1.png", "b/0.png", "b/1.png"])
        self.assertEqual({it["label"] for it in trained}, {"tiny:alice", "tiny:bob"})
        # each item names its source, for the recipe's same-source batches
        self.assertEqual({it["domain"] for it in trained}, {"tiny"})
        self.assertEqual({it["domain"] for it in doc["items"] if it not in trained}, {"cgss"})
        self.assertIn("5_shot_top1", metrics["heldout_idols"]["pooled"])
        for name in ("metrics.json", "model.json", "samples.json"):
            with open(os.path.join(out, name), encoding="utf-8") as f:
                text = f.read()
            self.assertNotIn(self.tmp.name, text, name)
            self.assertNotIn(ROOT, text, name)
        with open(os.path.join(out, "samples.json"), encoding="utf-8") as f:
            self.assertTrue(all(s["path"].startswith("crops/") for s in json.load(f)["samples"]))
        ckpt = torch.load(os.path.join(out, "checkpoint.pt"), map_location="cpu")
        self.assertEqual(ckpt["parent"]["path"], "mobilenetv2-12-int8.onnx")
        self.assertIn("projection.weight", ckpt["state_dict"])

    @unittest.skipUnless(os.path.isdir("/proc"), "finds the workers through /proc")
    def test_sigterm_stops_the_runs_it_started(self):
        argv, env, out, _ = self.build_default("--epochs", "1000")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            epochs = 0
            for line in proc.stdout:  # both runs are training once each has finished an epoch
                epochs += json.loads(line).get("event") == "epoch"
                if epochs >= 2:
                    break
            workers = _children(proc.pid)
            self.assertEqual(len(workers), 2)
            proc.terminate()
            code = proc.wait(timeout=60)
            deadline = time.time() + 30
            while any(_alive(pid) for pid in workers) and time.time() < deadline:
                time.sleep(0.2)
            self.assertFalse([pid for pid in workers if _alive(pid)], "training workers outlived build-default")
            self.assertEqual(code, 128 + 15)
            self.assertFalse(os.path.exists(os.path.join(out, "model.onnx")))
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()


def _children(pid):
    """The training workers of a process: its children that run Python code, not the resource tracker."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(entry))
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class CommittedSplitTest(unittest.TestCase):
    def test_forty_held_out_idols_with_kaede_and_a_disjoint_validation_list(self):
        heldout, val = load_split(SPLIT_FILE)
        self.assertEqual(len(heldout), 40)
        self.assertIn("高垣楓", heldout)
        self.assertEqual(len(val), 12)
        self.assertFalse(heldout & val)


if __name__ == "__main__":
    unittest.main()
