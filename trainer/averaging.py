"""Tail averaging of one run's weights (stochastic weight averaging, Izmailov et al., UAI 2018).

The weights after each of a run's last epochs sit around one minimum; their mean generalises better than
any one of them, and than the epoch that a dozen validation characters pick (one run of the shipped recipe:
bench/results/tail-average-probe-2026-12-02.json). Batch-norm statistics are averaged like the weights, not
recomputed: the measurements above were taken that way."""


class TailAverage:
    """A running mean of state dicts, accumulated in float64; integer buffers keep the latest value."""

    def __init__(self):
        self.count = 0
        self.epochs = []
        self._sum = None
        self._latest = None

    def add(self, state_dict, epoch):
        state = {k: v.detach().cpu() for k, v in state_dict.items()}
        if self._sum is None:
            self._sum = {k: v.double().clone() for k, v in state.items() if v.is_floating_point()}
        else:
            for key, total in self._sum.items():
                total += state[key].double()
        self._latest = {k: v.clone() for k, v in state.items() if not v.is_floating_point()}
        self.count += 1
        self.epochs.append(epoch)

    def state(self, like):
        """The mean, with each tensor in the dtype of `like` (a state dict of the same network)."""
        if not self.count:
            raise ValueError("no epoch was averaged")
        out = {}
        for key, ref in like.items():
            out[key] = (self._sum[key] / self.count).to(ref.dtype) if key in self._sum else self._latest[key]
        return out
