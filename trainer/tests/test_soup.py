import unittest

import torch

from trainer.soup import average_states, greedy_soup


def judged(w):
    """A stand-in judge: the closer the weight to 1, the better (MAP@R 1 at w = 1)."""
    return {"pooled": {"map_at_r": 1.0 - abs(float(w["w"][0]) - 1.0)}}


class SoupTest(unittest.TestCase):
    def test_average_states_means_floats_and_keeps_integer_buffers(self):
        a = {"w": torch.tensor([1.0, 3.0]), "n": torch.tensor(5)}
        b = {"w": torch.tensor([3.0, 5.0]), "n": torch.tensor(9)}
        out = average_states([a, b])
        self.assertTrue(torch.equal(out["w"], torch.tensor([2.0, 4.0])))
        self.assertEqual(int(out["n"]), 5)
        self.assertEqual(out["w"].dtype, torch.float32)

    def test_greedy_soup_takes_the_best_first_and_keeps_only_what_does_not_hurt(self):
        states = {"a": {"w": torch.tensor([1.25])}, "b": {"w": torch.tensor([0.75])}, "c": {"w": torch.tensor([3.0])},
                  "d": {"w": torch.tensor([0.5])}}
        candidates = [(name, s, judged(s)) for name, s in states.items()]
        state, members, ev, steps = greedy_soup(candidates, judged, "pooled")
        # a and b tie at 0.75 (a first: a stable sort); a+b = 1.0 is perfect; d and c would pull it away
        self.assertEqual(members, ["a", "b"])
        self.assertAlmostEqual(float(state["w"][0]), 1.0, places=6)
        self.assertAlmostEqual(ev["pooled"]["map_at_r"], 1.0, places=6)
        self.assertEqual([(s["ingredient"], s["kept"]) for s in steps], [("b", True), ("d", False), ("c", False)])

    def test_a_single_ingredient_is_served_as_it_is(self):
        s = {"w": torch.tensor([0.7])}
        state, members, ev, steps = greedy_soup([("only", s, judged(s))], judged, "pooled")
        self.assertEqual((members, steps), (["only"], []))
        self.assertTrue(torch.equal(state["w"], s["w"]))


if __name__ == "__main__":
    unittest.main()
