"""End-to-end: the CLI's JSON-lines protocol and the output-folder contract."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import onnx
import torch
from PIL import Image

from trainer.data import preprocess, synthetic_input
from trainer.model import load_checkpoint
from trainer.onnx_run import OnnxRunner
from trainer.tests.helpers import HAVE_SHARED, MISSING_SHARED, run_main, small_shared_items

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LABELS = ["hatsune_miku", "suzukaze_aoba", "nishikino_maki", "shana", "toyama_rin"]


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def run_cli(*args):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    proc = subprocess.run([sys.executable, "-m", "trainer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]  # every line is JSON
    return proc, events


def check_output_folder(test, out, layer_dims):
    names = sorted(n for n in os.listdir(out) if n != "selection")  # the selection model, checked on its own
    test.assertEqual(names, ["checkpoint.pt", "metrics.json", "model.json", "model.onnx", "samples.json"])
    model = read_json(os.path.join(out, "model.json"))
    test.assertEqual(model["input"]["name"], "input")
    test.assertEqual(model["input"]["colour"], "RGB")
    test.assertEqual(model["input"]["layout"], "NCHW")
    test.assertEqual(len(model["input"]["mean"]), 3)
    test.assertEqual(len(model["input"]["std"]), 3)
    test.assertEqual(model["output"]["name"], "embedding")
    test.assertTrue(model["output"]["normalised"])
    test.assertIn(model["layer"], layer_dims)
    test.assertEqual(model["output"]["dim"], layer_dims[model["layer"]])
    for key in ("parent", "created", "id"):
        test.assertIn(key, model)
    graph = onnx.load(os.path.join(out, "model.onnx"))
    onnx.checker.check_model(graph)
    test.assertEqual(graph.opset_import[0].version, 13)
    test.assertEqual([i.name for i in graph.graph.input], ["input"])
    test.assertEqual([o.name for o in graph.graph.output], ["embedding"])
    test.assertEqual(graph.graph.input[0].type.tensor_type.shape.dim[0].dim_param, "batch")
    # samples.json: our own float32 outputs, reproduced here by an independent run of the ONNX graph
    samples = read_json(os.path.join(out, "samples.json"))
    size = model["input"]["size"]
    xs = [preprocess(Image.open(s["path"]), size) for s in samples["samples"]] + [synthetic_input(size)[0]]
    want = np.array([s["embedding"] for s in samples["samples"]] + [samples["synthetic"]["embedding"]],
                    dtype=np.float32)
    got = OnnxRunner(os.path.join(out, "model.onnx"), dtype=torch.float32).run({"input": torch.stack(xs).numpy()})
    np.testing.assert_allclose(got["embedding"], want, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(want, axis=1), 1.0, atol=1e-4)
    return model, read_json(os.path.join(out, "metrics.json"))


@unittest.skipUnless(HAVE_SHARED, MISSING_SHARED)
class CliContractTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dataset = os.path.join(cls.tmp.name, "dataset.json")
        with open(cls.dataset, "w") as f:
            json.dump({"version": 1, "input_size": 64, "items": small_shared_items(LABELS, 6)}, f)
        cls.out = os.path.join(cls.tmp.name, "run1")
        # A real process, as the Node side starts it: its exit status and stdout of nothing but JSON lines are the
        # contract (with test_bad_dataset_reports_error_event's). The other runs here call main in-process.
        cls.proc, cls.events = run_cli("train", "--dataset", cls.dataset, "--out", cls.out, "--epochs", "2",
                                       "--max-steps", "2", "--batch-p", "3", "--batch-k", "2", "--dim", "32",
                                       "--device", "cpu", "--final-epochs", "1")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_progress_events(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr[-2000:])
        kinds = [e["event"] for e in self.events]
        self.assertEqual(kinds[0], "start")
        self.assertEqual(kinds[-1], "done")
        epochs = [e for e in self.events if e["event"] == "epoch" and "stage" not in e]
        self.assertTrue(epochs)
        for e in epochs:
            for key in ("epoch", "epochs", "loss", "val_map_at_r", "val_recall_at_1", "seconds"):
                self.assertIn(key, e)
        final = [e for e in self.events if e["event"] == "epoch" and e.get("stage") == "final"]
        self.assertEqual([(e["epoch"], e["epochs"]) for e in final], [(1, 1)])
        self.assertLess(kinds.index("stage"), self.events.index(final[0]))
        self.assertIn("layer", self.events[-1]["metrics"])

    def test_output_contract_and_character_held_out_split(self):
        model, metrics = check_output_folder(self, self.out, {"pooled": 1280, "projection": 32})
        self.assertEqual(model["input"]["size"], 64)  # taken from dataset.json
        self.assertEqual(model["parent"]["kind"], "imagenet-int8")
        split = metrics["split"]
        self.assertEqual(split["source"], "held_out_characters")
        self.assertTrue(split["val_labels"])
        self.assertFalse(set(split["val_labels"]) & set(metrics["train_labels"]))
        self.assertEqual(metrics["layer"], model["layer"])
        for layer in ("pooled", "projection"):
            self.assertIn("map_at_r", metrics["val"][layer])
        self.assertLess(metrics["export"]["parity_max_abs_diff"], 1e-4)

    def test_final_run_on_every_label_after_selection(self):
        model, metrics = check_output_folder(self, self.out, {"pooled": 1280, "projection": 32})
        val_labels = set(metrics["split"]["val_labels"])
        final = metrics["final"]
        self.assertEqual(metrics["val_from"], "selection")
        self.assertEqual(set(final["labels"]), set(metrics["train_labels"]) | val_labels)
        self.assertEqual(final["epochs"], 1)  # --final-epochs 1
        self.assertGreater(final["steps"], 0)
        stages = [e for e in self.events if e["event"] == "stage"]
        self.assertEqual([s["stage"] for s in stages], ["final"])
        selection, sel_metrics = check_output_folder(self, os.path.join(self.out, "selection"),
                                                     {"pooled": 1280, "projection": 32})
        self.assertEqual(selection["id"], final["selection_model_id"])
        self.assertNotEqual(selection["id"], model["id"])
        self.assertEqual(selection["layer"], model["layer"])

    def test_given_splits_watch_test_items_and_never_train_on_them(self):
        items = small_shared_items(LABELS, 6)
        for it in items:
            it["split"] = "val" if it["label"] == LABELS[0] else "train"
        for label in LABELS[1:]:
            for it in [it for it in items if it["label"] == label][:2]:
                it["split"] = "test"
        dataset = os.path.join(self.tmp.name, "splits.json")
        with open(dataset, "w") as f:
            json.dump({"version": 1, "input_size": 64, "items": items}, f)
        out = os.path.join(self.tmp.name, "splits-out")
        code, events, stderr = run_main("train", "--dataset", dataset, "--out", out, "--epochs", "1", "--max-steps",
                                        "1", "--batch-p", "3", "--batch-k", "2", "--dim", "16")
        self.assertEqual(code, 0, stderr[-2000:])
        _, metrics = check_output_folder(self, out, {"pooled": 1280, "projection": 16})
        self.assertEqual(metrics["split"]["monitor_test_items"], 8)
        self.assertEqual(metrics["train_items"], 16)
        baseline = next(e for e in events if e["event"] == "baseline")["val"]
        # Watched: 6 faces of the unseen character and 2 of each known one, each part also on its own.
        self.assertEqual(baseline["unseen"]["pooled"]["queries"], 6)
        self.assertEqual(baseline["known"]["pooled"]["queries"], 8)
        self.assertEqual(baseline["pooled"]["queries"], 14)
        if metrics["final"]:
            self.assertEqual(metrics["final"]["items"], 22, "the final run trains on train + val, not test")

    def test_the_margin_is_the_one_the_loss_and_miner_use(self):
        # Cosine distances lie in 0..2, so at a margin of 1.99 every valid triplet of a P3 x K2 batch
        # (6 anchors x 1 positive x 4 negatives) violates it and the hinge is near the margin itself.
        out = os.path.join(self.tmp.name, "margin-out")
        code, _, stderr = run_main("train", "--dataset", self.dataset, "--out", out, "--epochs", "1", "--max-steps",
                                   "1", "--batch-p", "3", "--batch-k", "2", "--dim", "16", "--no-final-refit",
                                   "--margin", "1.99")
        self.assertEqual(code, 0, stderr[-2000:])
        with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
            metrics = json.load(f)
        self.assertEqual(metrics["config"]["margin"], 1.99)
        first = metrics["history"][1]  # [0] is the untrained baseline
        self.assertEqual(first["mean_triplets"], 24)
        self.assertGreater(first["loss"], 1.0)

    def test_init_from_checkpoint_with_other_dim(self):
        out2 = os.path.join(self.tmp.name, "run2")
        code, _, stderr = run_main("train", "--dataset", self.dataset, "--out", out2, "--epochs", "1",
                                   "--max-steps", "1", "--batch-p", "3", "--batch-k", "2", "--dim", "16",
                                   "--init", os.path.join(self.out, "checkpoint.pt"))
        self.assertEqual(code, 0, stderr[-2000:])
        model, _ = check_output_folder(self, out2, {"pooled": 1280, "projection": 16})
        parent = read_json(os.path.join(self.out, "model.json"))["id"]
        self.assertEqual(model["parent"]["kind"], "checkpoint")
        self.assertEqual(model["parent"]["id"], parent)
        net, _ = load_checkpoint(os.path.join(out2, "checkpoint.pt"))
        self.assertEqual(net.dim, 16)

    def test_bad_dataset_reports_error_event(self):
        bad = os.path.join(self.tmp.name, "bad.json")
        with open(bad, "w") as f:
            json.dump({"version": 1, "items": [{"path": "/nope.jpg", "label": "a"}]}, f)
        out = os.path.join(self.tmp.name, "bad-out")
        proc, events = run_cli("train", "--dataset", bad, "--out", out)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(events[-1]["event"], "error")
        self.assertTrue(events[-1]["message"])
        self.assertFalse(os.path.exists(os.path.join(out, "model.onnx")))

    def test_export_base(self):
        out = os.path.join(self.tmp.name, "base")
        code, _, stderr = run_main("export-base", "--out", out, "--input-size", "96", "--dataset", self.dataset)
        self.assertEqual(code, 0, stderr[-2000:])
        model, metrics = check_output_folder(self, out, {"pooled": 1280})
        self.assertEqual(model["layer"], "pooled")
        self.assertFalse(metrics["trained"])


class RecipeOptionTest(unittest.TestCase):
    def assert_refused_before_any_work(self, option, value, message):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            code, _, stderr = run_main("train", "--dataset", os.path.join(tmp, "none.json"), "--out", out, option,
                                       value)
            self.assertEqual(code, 2, stderr[-2000:])
            self.assertIn(f"{option}: {message}", stderr)
            self.assertFalse(os.path.exists(out))

    def test_a_random_erasing_share_above_one_is_refused_before_any_work(self):
        self.assert_refused_before_any_work("--random-erasing", "1.5", "a share of examples, 0 to 1, not 1.5")

    def test_a_margin_outside_the_cosine_range_is_refused_before_any_work(self):
        for margin in ("0", "2"):
            self.assert_refused_before_any_work(
                "--margin", margin, f"a cosine-distance margin, above 0 and below 2, not {margin}")

    def test_a_frozen_block_count_outside_the_backbone_is_refused_before_any_work(self):
        for blocks in ("-1", "20"):
            self.assert_refused_before_any_work(
                "--freeze-blocks", blocks, f"a count of frozen feature blocks, 0 to 19, not {blocks}")


class SharedOptionsTest(unittest.TestCase):
    def test_train_and_build_default_read_their_shared_training_options_alike(self):
        from trainer.__main__ import TRAINING_OPTIONS, _dest, _parser
        train = ["train", "--dataset", "dataset.json", "--out", "out"]
        build = ["build-default", "--snapshot", "icons", "--out", "out", "--work", "work"]
        given = ["--device", "cpu", "--source-onnx", "source.onnx", "--epochs", "3", "--input-size", "96",
                 "--max-steps", "5", "--batch-p", "4", "--batch-k", "2", "--loss", "multi-similarity", "--seed", "7",
                 "--freeze-blocks", "2", "--no-domain-batches", "--colour-jitter", "strong",
                 "--label-weighting", "sqrt", "--random-erasing", "0.25", "--margin", "0.3", "--mining", "semi-hard",
                 "--average-from", "5"]
        dests = ["device", "source_onnx"] + [_dest(option[0]) for option in TRAINING_OPTIONS]
        parser = _parser()
        on_train, on_build = vars(parser.parse_args(train + given)), vars(parser.parse_args(build + given))
        self.assertEqual({d: on_train[d] for d in dests}, {d: on_build[d] for d in dests})
        self.assertNotIn(None, [on_train[d] for d in dests])  # every shared option was given above
        self.assertEqual((on_train["margin"], on_train["domain_batches"]), (0.3, False))
        # unset, each is None: TrainConfig's default or build-default's recipe decides
        for argv in (train, build):
            self.assertEqual({d: vars(parser.parse_args(argv))[d] for d in dests}, dict.fromkeys(dests))


class SourceModelTest(unittest.TestCase):
    def test_a_missing_source_model_is_named_in_the_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            dataset = os.path.join(tmp, "dataset.json")
            items = [{"path": os.path.join(tmp, f"{label}{i}.jpg"), "label": label} for label in "abc" for i in (0, 1)]
            with open(dataset, "w") as f:
                json.dump({"version": 1, "items": items}, f)
            missing = os.path.join(tmp, "missing.onnx")
            out = os.path.join(tmp, "out")
            code, events, stderr = run_main("train", "--dataset", dataset, "--out", out, "--source-onnx", missing)
            self.assertEqual(code, 1, stderr[-2000:])
            self.assertEqual(events[-1]["event"], "error")
            self.assertIn(missing, events[-1]["message"])
            self.assertIn("--source-onnx", events[-1]["message"])
            self.assertFalse(os.path.exists(os.path.join(out, "model.onnx")))


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(HAVE_SHARED, MISSING_SHARED)
class SideBySideTest(unittest.TestCase):
    def test_three_runs_in_waves_of_two_keep_their_order(self):
        from trainer.build_default import train_side_by_side
        from trainer.train import TrainConfig
        with tempfile.TemporaryDirectory() as tmp:
            dataset = os.path.join(tmp, "dataset.json")
            items = small_shared_items(LABELS, 4)
            for it in items:  # two sources, so that the domain batches have something to keep apart
                it["domain"] = "a" if it["label"] in LABELS[:3] else "b"
            with open(dataset, "w") as f:
                json.dump({"version": 1, "input_size": 64, "items": items}, f)
            configs = [TrainConfig(dataset=dataset, out=os.path.join(tmp, f"seed-{seed}"), seed=seed, epochs=1,
                                   max_steps=1, batch_p=2, batch_k=2, dim=16, device="cpu", final_refit=False,
                                   domain_batches=True) for seed in (5, 6, 7)]
            results = train_side_by_side(configs, 2)
            self.assertEqual([m["config"]["seed"] for m in results], [5, 6, 7])
            for cfg in configs:
                self.assertTrue(os.path.isfile(os.path.join(cfg.out, "model.onnx")))
                self.assertTrue(read_json(os.path.join(cfg.out, "metrics.json"))["config"]["domain_batches"])
