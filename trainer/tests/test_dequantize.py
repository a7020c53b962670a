import unittest

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image

from trainer import IMAGENET_MEAN, IMAGENET_STD
from trainer.dequantize import dequantized_mobilenet_v2, load_int8_float_weights
from trainer.onnx_run import OnnxRunner
from trainer.tests.helpers import HAVE_SHARED, MISSING_SHARED, SHARED, SOURCE_ONNX


@unittest.skipUnless(HAVE_SHARED, MISSING_SHARED)
class DequantizeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.mapping = load_int8_float_weights()
        cls.graph = onnx.load(SOURCE_ONNX).graph
        cls.init = {i.name: numpy_helper.to_array(i) for i in cls.graph.initializer}

    def test_all_52_convs_mapped_in_graph_order(self):
        self.assertEqual(len(self.mapping), 52)
        qconv_weights = [n.input[3] for n in self.graph.node if n.op_type == "QLinearConv"]
        self.assertEqual([w for _, w in self.mapping], qconv_weights)
        self.assertEqual(self.mapping[0][0], "features.0.0")
        self.assertEqual(self.mapping[-1][0], "features.18.0")

    def test_weights_equal_dequantised_initialisers(self):
        for module, wname in (self.mapping[0], self.mapping[25], self.mapping[-1]):
            q = self.init[wname].astype(np.float64)
            scale = self.init[wname.replace("_quantized", "_scale")]
            zp = self.init[wname.replace("_quantized", "_zero_point")].astype(np.float64)
            want = (q - zp.reshape(-1, 1, 1, 1)) * scale.reshape(-1, 1, 1, 1)
            np.testing.assert_allclose(self.state[f"{module}.weight"].numpy(), want, rtol=1e-6, atol=1e-9)
        w = self.init["classifier.1.weight_quantized"].astype(np.float64) * self.init["classifier.1.weight_scale"]
        np.testing.assert_allclose(self.state["classifier.1.weight"].numpy(), w.T, rtol=1e-6, atol=1e-9)
        self.assertEqual(tuple(self.state["classifier.1.bias"].shape), (1000,))

    def test_no_batchnorm_left(self):
        model = dequantized_mobilenet_v2()
        self.assertFalse(any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()))

    def test_pooled_features_track_the_int8_graph(self):
        paths = [f"{SHARED}/nagadomi10/faces/hatsune_miku/train_0.jpg", f"{SHARED}/keima3/faces/nishikino_maki/1.jpg"]
        x = np.stack([self._prep(p) for p in paths])
        env = OnnxRunner(SOURCE_ONNX).run({"input": x}, keep_all=True)
        int8_pooled = ((env["464_quantized"] - env["464_zero_point"]) * env["464_scale"]).reshape(2, -1).float()
        int8_logits = ((env["output_quantized"] - env["output_zero_point"]) * env["output_scale"]).float()
        model = dequantized_mobilenet_v2()
        with torch.no_grad():
            pooled = model.features(torch.from_numpy(x)).mean((2, 3))
            logits = model.classifier(pooled)
        self.assertTrue(bool((F.cosine_similarity(pooled, int8_pooled) > 0.9).all()))
        self.assertTrue(bool((F.cosine_similarity(logits, int8_logits) > 0.9).all()))

    @staticmethod
    def _prep(path):
        im = Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR)
        a = (np.asarray(im, np.float32) / 255 - np.float32(IMAGENET_MEAN)) / np.float32(IMAGENET_STD)
        return a.transpose(2, 0, 1).astype(np.float32)


if __name__ == "__main__":
    unittest.main()
