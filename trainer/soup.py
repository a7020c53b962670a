"""Weight averaging of trainer checkpoints: "model soups" (Wortsman et al., ICML 2022).

Runs of one recipe that differ only in their seed start from the same ImageNet weights and end in
one basin, so the average of their weights is a network too, usually better than each run on data
unlike the training set, at no cost at inference. Uniform: every run is averaged. Greedy: runs are
taken best first by validation MAP@R, and each joins the average only if that does not lower it."""
import os

import torch

from .data import PreprocessedItems, load_dataset, open_rgb, preprocess, split_items, synthetic_input
from .events import emit, log
from .export import StagedOutput, write_model_files
from .model import load_checkpoint
from .train import _sample_items, evaluate, resolve_device


def average_states(states):
    """The element-wise mean of state dicts of one architecture (integer buffers keep the first's)."""
    out = {}
    for key, first in states[0].items():
        if first.is_floating_point():
            out[key] = torch.stack([s[key].float() for s in states]).mean(0).to(first.dtype)
        else:
            out[key] = first.clone()
    return out


def _score(ev, layer):
    return ev[layer]["map_at_r"]


def greedy_soup(candidates, judge, layer):
    """candidates: [(name, state_dict, val eval)]; judge(state) -> val eval. Returns (state, names, eval, steps)."""
    ranked = sorted(candidates, key=lambda c: _score(c[2], layer), reverse=True)
    name, state, ev = ranked[0]
    members, states, steps = [name], [state], []
    for name, state, _ in ranked[1:]:
        trial = average_states(states + [state])
        trial_ev = judge(trial)
        kept = _score(trial_ev, layer) >= _score(ev, layer)
        steps.append({"ingredient": name, "val_map_at_r": _score(trial_ev, layer), "kept": kept})
        if kept:
            members, states, ev = members + [name], states + [state], trial_ev
    return average_states(states), members, ev, steps


def uniform_soup(candidates, judge):
    """Every ingredient averaged, whatever the validation says (the paper's uniform soup)."""
    state = average_states([c[1] for c in candidates])
    return state, [c[0] for c in candidates], judge(state), []


def make_soup(checkpoints, dataset, out, device="cpu", names=None, uniform=False):
    """Soups trainer checkpoints (one architecture, one input size) and writes a trainer output folder."""
    device = resolve_device(device)
    nets = [load_checkpoint(path) for path in checkpoints]
    names = names or [os.path.basename(os.path.dirname(os.path.abspath(p))) for p in checkpoints]
    sizes = {ckpt.get("input_size") for _, ckpt in nets}
    if len(sizes) != 1:
        raise ValueError(f"the checkpoints were trained at different input sizes: {sorted(map(str, sizes))}")
    size = sizes.pop()
    items, _ = load_dataset(dataset)
    train_items, val_items, _ = split_items(items)
    val_inputs = PreprocessedItems(val_items, size)
    net = nets[0][0].to(device)
    layer = nets[0][1].get("layer") or "pooled"

    def judge(state):
        net.load_state_dict(state)
        return evaluate(net, val_inputs, val_items, device)

    candidates = []
    for name, (ingredient, _ckpt) in zip(names, nets):
        state = {k: v.detach().cpu().clone() for k, v in ingredient.state_dict().items()}
        ev = judge(state)
        candidates.append((name, state, ev))
        log(f"soup: ingredient {name} val MAP@R {_score(ev, layer):.4f}")
    state, members, ev, steps = uniform_soup(candidates, judge) if uniform else greedy_soup(candidates, judge, layer)
    net.load_state_dict(state)
    log(f"soup: {'+'.join(members)} val MAP@R {_score(ev, layer):.4f}")
    samples = _sample_items(val_items)
    sample_inputs = [preprocess(open_rgb(it["path"]), size) for it in samples]
    parent = nets[0][1].get("parent")
    method = "uniform" if uniform else "greedy, best validation MAP@R first"
    soup_doc = {"method": f"weight average (model soup): {method}",
                "ingredients": [{"name": n, "id": c.get("id"), "val_map_at_r": _score(e, layer)}
                                for n, (_, c), (_, _, e) in zip(names, nets, candidates)],
                "steps": steps, "members": members}
    metrics = {"version": 1, "layer": layer, "val": ev, "val_from": "served", "soup": soup_doc,
               "train_items": len(train_items), "val_items": len(val_items)}
    model_id, metrics = write_model_files(
        StagedOutput(out), net.cpu(), layer, size, samples, sample_inputs, synthetic_input(size), parent,
        {"dim": nets[0][1]["state_dict"]["projection.weight"].shape[0], "val": ev, "soup": members}, metrics)
    metrics["id"] = model_id
    emit("soup", id=model_id, members=members, val_map_at_r=_score(ev, layer))
    return metrics
