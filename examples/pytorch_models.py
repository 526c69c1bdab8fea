#!/usr/bin/env python3
"""The six pairnet models as PyTorch modules, written from docs/spec.md, with
the names pairnet's safetensors files use (docs/formats.md), so that

    model = build(metadata)            # from the file's __metadata__
    model.load_state_dict(load_file("m.safetensors"), strict=True)

loads every tensor of a pairnet model file and nothing is left over.

    python3 examples/pytorch_models.py m.safetensors [pairs.safetensors]

loads m.safetensors (written by `pairnet train --save`) into its module
with strict=True and, given the file `pairnet eval --export` wrote, runs it
in eval mode on the round's test pairs and prints its accuracy and how
many answers equal pairnet's. CI does not run this (PyTorch is large);
examples/numpy_forward.py is the check CI runs.

Eval mode only for the ensembles, views and rules of `best`: training
`best` as pairnet does (EMA, augmentation, Adam, ...) is not reproduced
here.
"""
import sys

import torch
from torch import nn


class Tower(nn.Module):
    """The digit tower T: 1x14x14 -> 10 logits (channels times width)."""

    def __init__(self, cin=1, out=10, width=1):
        super().__init__()
        c1, c2, h = 32 * width, 64 * width, 200 * width
        self.conv1, self.bn1 = nn.Conv2d(cin, c1, 3), nn.BatchNorm2d(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 3), nn.BatchNorm2d(c2)
        self.fc1, self.bn3 = nn.Linear(c2 * 2 * 2, h), nn.BatchNorm1d(h)
        self.fc2 = nn.Linear(h, out)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.relu(self.bn2(self.conv2(x))))
        return self.fc2(torch.relu(self.bn3(self.fc1(x.flatten(1)))))


class Head(nn.Module):
    """The comparison head H: 20 -> 100 -> ReLU -> 2."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(20, 100), nn.Linear(100, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.bn1 = nn.Linear(392, 256), nn.BatchNorm1d(256)
        self.fc2, self.bn2 = nn.Linear(256, 128), nn.BatchNorm1d(128)
        self.fc3 = nn.Linear(128, 2)

    def forward(self, x):
        x = torch.relu(self.bn1(self.fc1(x.flatten(1))))
        return self.fc3(torch.relu(self.bn2(self.fc2(x)))), None


class CNN(Tower):
    """The pair as one 2-channel image; a tower's layers with 2 outputs."""

    def __init__(self):
        super().__init__(cin=2, out=2)

    def forward(self, x):
        return super().forward(x), None


class Shared(nn.Module):
    """cnn_ws, cnn_ws_al and best: one tower for both images, then the head
    (best: on the two softmaxes; best with head prob: P(d1 <= d2), no head).
    The tower runs on the 2B images as one batch (docs/spec.md section 6)."""

    def __init__(self, width=1, softmax_head=False, prob_head=False):
        super().__init__()
        self.tower = Tower(width=width)
        self.softmax_head, self.prob_head = softmax_head, prob_head
        if not prob_head:
            self.head = Head()

    def forward(self, x):
        b = x.shape[0]
        d = self.tower(torch.cat([x[:, 0:1], x[:, 1:2]], 0))
        d1, d2 = d[:b], d[b:]
        if self.prob_head:
            p = prob_le(d1.softmax(1), d2.softmax(1)).clamp(1e-6, 1 - 1e-6)
            return torch.stack([torch.log(1 - p), torch.log(p)], 1), (d1, d2)
        z = torch.cat([d1.softmax(1), d2.softmax(1)] if self.softmax_head else [d1, d2], 1)
        return self.head(z), (d1, d2)


class TwoTowers(nn.Module):
    """cnn_al: a tower per image, then the head."""

    def __init__(self, width=1):
        super().__init__()
        self.tower1, self.tower2, self.head = Tower(width=width), Tower(width=width), Head()

    def forward(self, x):
        d1, d2 = self.tower1(x[:, 0:1]), self.tower2(x[:, 1:2])
        return self.head(torch.cat([d1, d2], 1)), (d1, d2)


class Ensemble(nn.Module):
    """More than one network: pairnet names them members.0., members.1., ..."""

    def __init__(self, nets):
        super().__init__()
        self.members = nn.ModuleList(nets)


def prob_le(p1, p2):
    """P(d1 <= d2) = sum_{i <= j} p1(i) p2(j)."""
    return (p2 * p1.cumsum(1)).sum(1)


def network(meta):
    model, width = meta["model"], int(meta.get("width", "1"))
    if model == "mlp":
        return MLP()
    if model == "cnn":
        return CNN()
    if model == "cnn_al":
        return TwoTowers(width)
    if model in ("cnn_ws", "cnn_ws_al"):
        return Shared(width)
    if model == "best":
        return Shared(width, softmax_head=True, prob_head=meta.get("head") == "prob")
    raise ValueError(f"unknown model {model}")


def build(meta):
    """The module of a pairnet model file, from its __metadata__."""
    k = int(meta.get("ensemble", "1"))
    return network(meta) if k == 1 else Ensemble([network(meta) for _ in range(k)])


TTA_SHIFTS = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)]


def shift(x, dx, dy, fill):
    out = torch.full_like(x, fill)
    h, w = x.shape[2:]
    out[:, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[:, :, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


@torch.no_grad()
def answers(module, meta, x, fill):
    """pairnet's answer per pair: members and views averaged, then its rule."""
    nets = list(module.members) if isinstance(module, Ensemble) else [module]
    tta, decide = int(meta.get("tta", "1")), meta.get("decide", "head")
    raw = len(nets) * tta == 1
    head, d1s, d2s, digits = 0, 0, 0, False
    for net in nets:
        net.eval()
        for dx, dy in TTA_SHIFTS[:tta]:
            out, d = net(shift(x, dx, dy, fill))
            head = head + (out if raw else out.softmax(1))
            if d is not None:
                digits = True
                d1s = d1s + (d[0] if raw else d[0].softmax(1))
                d2s = d2s + (d[1] if raw else d[1].softmax(1))
    if decide == "argmax" and digits:
        return d1s.argmax(1) <= d2s.argmax(1)
    if decide == "prob" and digits:
        n = len(nets) * tta
        p1, p2 = (d1s.softmax(1), d2s.softmax(1)) if raw else (d1s / n, d2s / n)
        return prob_le(p1, p2) >= 0.5
    return head[:, 1] > head[:, 0]


def main(argv):
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(argv[1], "pt") as f:
        meta = f.metadata()
    module = build(meta)
    state = load_file(argv[1])
    module.load_state_dict(state, strict=True)
    print(f"torch {torch.__version__}: {meta['model']} (ensemble {meta.get('ensemble', '1')}) "
          f"loaded with strict=True, {len(state)} tensors")
    if len(argv) > 2:
        pairs = load_file(argv[2])
        with safe_open(argv[2], "pt") as f:
            fill = float(f.metadata()["fill"])
        ans = answers(module, meta, pairs["images"], fill)
        acc = (ans == pairs["target"].bool()).double().mean().item()
        same = int((ans == pairs["answer"].bool()).sum())
        print(f"test accuracy {acc:.4f}; {same} of {len(ans)} answers equal pairnet's")


if __name__ == "__main__":
    main(sys.argv)
