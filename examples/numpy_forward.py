#!/usr/bin/env python3
"""A pairnet model, run by NumPy alone: proof that the weights pairnet writes
are what they claim to be (PyTorch's names and layouts) and that nothing of
the network lives outside the file.

    pairnet train --model cnn_ws_al --save m.safetensors
    pairnet eval --load m.safetensors --export pairs.safetensors
    python3 examples/numpy_forward.py m.safetensors pairs.safetensors

The model file holds the weights and, in its metadata, the model, its
options and the round (docs/formats.md); the export file holds the round's
test pairs as the network saw them (standardized), their labels, and
pairnet's answer and margin for every pair. This script reads both with its
own reader of the format (8-byte length, JSON header, little-endian data),
checks them against the `safetensors` package when it is installed (an
independent reader of the same files), runs the forward pass of the model
in float64 (every member of an ensemble, every view of test-time
augmentation, the round's decision rule), and compares: every answer must
equal pairnet's, except where pairnet's margin is within float rounding of
the decision (then either answer is right), and the accuracy must be
pairnet's. Exit status 0 when they agree, 1 when they do not.

Needs only NumPy. The layer arithmetic follows docs/spec.md; the PyTorch
modules with the same names are examples/pytorch_models.py.
"""
import json
import struct
import sys

import numpy as np

BN_EPS = 1e-5      # BatchNorm's epsilon (PyTorch's default, pairnet's)
PROB_EPS = 1e-6    # the clamp of P(d1 <= d2) in the prob head (src/ops/prob_le.c)
# The views of test-time augmentation, in pairnet's order (src/train/evaluate.c):
# the image, then moved by one pixel: the four neighbours, then the diagonals.
TTA_SHIFTS = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)]
# A pair is decided by pairnet in float32; a margin this close to the
# decision may flip between float32 and float64 arithmetic.
ROUNDING = 1e-4

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "U8": "u1", "I32": "<i4", "U16": "<u2",
          "I16": "<i2", "U32": "<u4", "U64": "<u8", "I8": "i1", "F16": "<f2", "BOOL": "?"}


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file, read with NumPy only."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).reshape(
            e["shape"])
    return tensors, meta


def check_with_safetensors(path, tensors):
    """The `safetensors` package reads the same tensors (skipped without it)."""
    try:
        from safetensors.numpy import load_file
    except ImportError:
        return "not installed, skipped"
    theirs = load_file(path)
    assert set(theirs) == set(tensors), f"{path}: safetensors sees other tensor names"
    for k, v in tensors.items():
        assert theirs[k].dtype == v.dtype and theirs[k].shape == v.shape, f"{path}: {k}"
        assert np.array_equal(theirs[k], v), f"{path}: {k} differs"
    return f"the same {len(tensors)} tensors"


# ---- layers, eval mode, float64 ----

def conv2d(x, w, b):
    """Valid cross-correlation, stride 1: x [N,C,H,W], w [F,C,k,k]."""
    k = w.shape[2]
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    return np.einsum("nchwij,fcij->nfhw", win, w, optimize=True) + b[None, :, None, None]


def batchnorm(x, p, name):
    shape = (1, -1, 1, 1) if x.ndim == 4 else (1, -1)
    m, v = p[name + ".running_mean"].reshape(shape), p[name + ".running_var"].reshape(shape)
    g, b = p[name + ".weight"].reshape(shape), p[name + ".bias"].reshape(shape)
    return (x - m) / np.sqrt(v + BN_EPS) * g + b


def linear(x, p, name):
    return x.reshape(x.shape[0], -1) @ p[name + ".weight"].T + p[name + ".bias"]


def relu(x):
    return np.maximum(x, 0.0)


def maxpool2(x):
    n, c, h, w = x.shape
    return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def conv_block(x, p, conv, bn):
    return maxpool2(relu(batchnorm(conv2d(x, p[conv + ".weight"], p[conv + ".bias"]), p, bn)))


def tower(x, p, t):
    """A digit tower: [N,1,14,14] -> [N,10] (or the cnn's [N,2,14,14] -> [N,2])."""
    x = conv_block(x, p, t + "conv1", t + "bn1")
    x = conv_block(x, p, t + "conv2", t + "bn2")
    x = relu(batchnorm(linear(x, p, t + "fc1"), p, t + "bn3"))
    return linear(x, p, t + "fc2")


def head(x, p):
    return linear(relu(linear(x, p, "head.fc1")), p, "head.fc2")


def prob_le(p1, p2):
    """P(d1 <= d2) = sum_{i <= j} p1(i) p2(j), per row."""
    return (p2 * np.cumsum(p1, axis=1)).sum(axis=1)


def forward(model, p, x, prob_head):
    """(comparison outputs [N,2], digit logits of image 1 and 2 or None)."""
    if model == "mlp":
        h = relu(batchnorm(linear(x, p, "fc1"), p, "bn1"))
        h = relu(batchnorm(linear(h, p, "fc2"), p, "bn2"))
        return linear(h, p, "fc3"), None
    if model == "cnn":
        return tower(x, p, ""), None
    if model == "cnn_al":
        d1, d2 = tower(x[:, 0:1], p, "tower1."), tower(x[:, 1:2], p, "tower2.")
        return head(np.concatenate([d1, d2], axis=1), p), (d1, d2)
    d1, d2 = tower(x[:, 0:1], p, "tower."), tower(x[:, 1:2], p, "tower.")
    if model != "best":  # cnn_ws, cnn_ws_al: the head compares the logits
        return head(np.concatenate([d1, d2], axis=1), p), (d1, d2)
    if prob_head:
        P = np.clip(prob_le(softmax(d1), softmax(d2)), PROB_EPS, 1 - PROB_EPS)
        return np.stack([np.log(1 - P), np.log(P)], axis=1), (d1, d2)
    return head(np.concatenate([softmax(d1), softmax(d2)], axis=1), p), (d1, d2)


def shift(x, dx, dy, fill):
    """Every image moved by (dx, dy), uncovered pixels fill (pn_image_shift)."""
    out = np.full_like(x, fill)
    h, w = x.shape[2:]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[:, :, yd, xd] = x[:, :, ys, xs]
    return out


def members(tensors, k):
    """The weights of each member ("members.<m>." prefixes when k > 1)."""
    if k == 1:
        return [{n: v.astype(np.float64) for n, v in tensors.items()}]
    return [{n[len(f"members.{m}."):]: v.astype(np.float64) for n, v in tensors.items()
             if n.startswith(f"members.{m}.")} for m in range(k)]


def top_gap(v):
    s = np.sort(v, axis=1)
    return s[:, -1] - s[:, -2]


def answers(meta, tensors, images, fill):
    """(answer, margin) per pair, as pairnet decides them (pn_eval_answers)."""
    model, k, tta = meta["model"], int(meta["ensemble"]), int(meta["tta"])
    decide, prob_head = meta["decide"], meta["head"] == "prob"
    raw = k * tta == 1
    n = images.shape[0]
    acc_head, acc_d1, acc_d2, has_digits = np.zeros((n, 2)), np.zeros((n, 10)), np.zeros((n, 10)), False
    for p in members(tensors, k):
        for dx, dy in TTA_SHIFTS[:tta]:
            out, digits = forward(model, p, shift(images, dx, dy, fill), prob_head)
            acc_head += out if raw else softmax(out)
            if digits is not None:
                has_digits = True
                acc_d1 += digits[0] if raw else softmax(digits[0])
                acc_d2 += digits[1] if raw else softmax(digits[1])
    scale = 1.0 if raw else 1.0 / (k * tta)
    if decide == "argmax" and has_digits:
        ans = acc_d1.argmax(axis=1) <= acc_d2.argmax(axis=1)
        gap = np.minimum(top_gap(acc_d1), top_gap(acc_d2)) * scale
        return ans, np.where(ans, gap, -gap)
    if decide == "prob" and has_digits:
        p1 = softmax(acc_d1) if raw else acc_d1 * scale
        p2 = softmax(acc_d2) if raw else acc_d2 * scale
        P = prob_le(p1, p2)
        return P >= 0.5, P - 0.5
    return acc_head[:, 1] > acc_head[:, 0], (acc_head[:, 1] - acc_head[:, 0]) * scale


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: numpy_forward.py MODEL.safetensors EXPORT.safetensors")
    weights, meta = read_safetensors(argv[1])
    pairs, pmeta = read_safetensors(argv[2])
    print(f"safetensors package on {argv[1]}: {check_with_safetensors(argv[1], weights)}")
    print(f"safetensors package on {argv[2]}: {check_with_safetensors(argv[2], pairs)}")
    for key in ("model", "ensemble", "tta", "decide"):
        assert meta[key] == pmeta[key], f"the files disagree on {key}: {meta[key]} {pmeta[key]}"
    images = pairs["images"].astype(np.float64)
    ans, margin = answers(meta, weights, images, float(pmeta["fill"]))
    theirs, their_margin = pairs["answer"].astype(bool), pairs["margin"].astype(np.float64)
    target = pairs["target"].astype(bool)
    differ = ans != theirs
    unexplained = differ & (np.abs(their_margin) > ROUNDING)
    acc = float((ans == target).mean())
    their_acc = float((theirs == target).mean())
    print(f"model {meta['model']} (ensemble {meta['ensemble']}, tta {meta['tta']}, decide "
          f"{meta['decide']}), seed {meta['seed']}: {len(ans)} test pairs")
    print(f"answers: {int((~differ).sum())} equal, {int(differ.sum())} differ "
          f"({int(unexplained.sum())} beyond float rounding, margin > {ROUNDING})")
    print(f"largest margin difference: {float(np.abs(margin - their_margin).max()):.3g}")
    print(f"test accuracy: numpy {acc:.4f}, pairnet {their_acc:.4f} "
          f"(pairnet eval printed {float(pmeta['test_acc']):.4f})")
    ok = not unexplained.any() and abs(their_acc - float(pmeta["test_acc"])) < 1e-12
    ok = ok and abs(acc - their_acc) <= differ.sum() / len(ans)
    print("numpy agrees with pairnet" if ok else "MISMATCH between numpy and pairnet")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
