#!/usr/bin/env python3
"""An outside anchor for `make perf`: the study's five models (docs/spec.md)
written in JAX, the whole training step (forward, backward, SGD) under one
jax.jit, timed per epoch of 1000 pairs with compilation cancelled out.

Optional: never used by the build or the tests, and pairnet does not depend
on it. It needs JAX from PyPI (`pip install "jax[cpu]"`; the issue's figures
used JAX 0.12). Run it beside `build/perf` on the same machine, with the same
number of threads, one after the other:

    taskset -c 0,1 python3 bench/jax_anchor.py --threads 2          # random pairs
    taskset -c 0,1 build/perf 2
    python3 bench/jax_anchor.py --mnist data/mnist --epochs 45 --model cnn_ws_al

The first times epochs on random pairs, as build/perf does, and prints
s/epoch per model (the median of --epochs timed epochs after one warm-up
epoch, which compiles). With --mnist DIR it trains on a real round's pairs
(the spec's data step, with numpy's generator instead of pairnet's: only the
statistics are comparable) and prints the test accuracy after the last
epoch, to check that the reference learns what the spec says (docs/spec.md
section 10) and the timing comparison is honest.
"""
import argparse
import gzip
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="XLA CPU threads (default 2)")
    p.add_argument("--epochs", type=int, default=7,
                   help="timed epochs after the one that compiles (default 7; the spec trains 45)")
    p.add_argument("--model", default="mlp,cnn,cnn_ws,cnn_al,cnn_ws_al",
                   help="comma-separated models (default: all five)")
    p.add_argument("--mnist", metavar="DIR", help="train on MNIST pairs from DIR instead of random ones")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


ARGS = parse_args()
# before jax is imported: the thread count of XLA's CPU backend
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_cpu_multi_thread_eigen=true"
                           f" intra_op_parallelism_threads={ARGS.threads}")
import numpy as np  # noqa: E402
try:
    import jax  # noqa: E402
    import jax.numpy as jnp  # noqa: E402
except ImportError:
    sys.exit("jax_anchor: JAX is not installed; install it with: pip install 'jax[cpu]'")

N_PAIRS = 1000
TABLE1 = {"mlp": (0.01, 100), "cnn": (0.01, 50), "cnn_ws": (0.05, 50),
          "cnn_al": (0.05, 50), "cnn_ws_al": (0.05, 100)}  # lr, batch (spec section 8)
EPS, MOMENTUM, AUX_WEIGHT = 1e-5, 0.1, 1.0


# ---- layers (PyTorch semantics, spec sections 2 and 3) ----

def uniform(key, shape, fan_in):
    b = 1.0 / np.sqrt(fan_in)
    return jax.random.uniform(key, shape, jnp.float32, -b, b)


def linear_init(key, i, o):
    k1, k2 = jax.random.split(key)
    return {"w": uniform(k1, (o, i), i), "b": uniform(k2, (o,), i)}


def conv_init(key, ci, co, k=3):
    k1, k2 = jax.random.split(key)
    return {"w": uniform(k1, (co, ci, k, k), ci * k * k), "b": uniform(k2, (co,), ci * k * k)}


def bn_init(c):
    return ({"g": jnp.ones(c), "b": jnp.zeros(c)}, {"m": jnp.zeros(c), "v": jnp.ones(c)})


def linear(p, x):
    return x @ p["w"].T + p["b"]


def conv(p, x):
    y = jax.lax.conv_general_dilated(x, p["w"], (1, 1), "VALID",
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
    return y + p["b"][None, :, None, None]


def batchnorm(p, s, x, train):
    """BatchNorm1d on [B, C] or BatchNorm2d on [B, C, H, W]; returns y and the new state."""
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    if train:
        mean, var = x.mean(axes), x.var(axes)
        n = x.size // x.shape[1]
        s = {"m": (1 - MOMENTUM) * s["m"] + MOMENTUM * mean,
             "v": (1 - MOMENTUM) * s["v"] + MOMENTUM * var * n / (n - 1)}
    else:
        mean, var = s["m"], s["v"]
    y = (x - mean.reshape(shape)) / jnp.sqrt(var.reshape(shape) + EPS)
    return y * p["g"].reshape(shape) + p["b"].reshape(shape), s


def maxpool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def ce(logits, y):
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))


# ---- networks (spec section 4) ----

def conv_stack_init(key, cin, n_out):
    k = jax.random.split(key, 4)
    p = {"c1": conv_init(k[0], cin, 32), "c2": conv_init(k[1], 32, 64),
         "l1": linear_init(k[2], 256, 200), "l2": linear_init(k[3], 200, n_out)}
    s = {}
    for name, c in (("bn1", 32), ("bn2", 64), ("bn3", 200)):
        p[name], s[name] = bn_init(c)
    return p, s


def conv_stack(p, s, x, train):
    """conv -> BN -> ReLU -> pool, twice, then Linear -> BN1d -> ReLU -> Linear."""
    s = dict(s)
    h, s["bn1"] = batchnorm(p["bn1"], s["bn1"], conv(p["c1"], x), train)
    h = maxpool(jax.nn.relu(h))
    h, s["bn2"] = batchnorm(p["bn2"], s["bn2"], conv(p["c2"], h), train)
    h = maxpool(jax.nn.relu(h)).reshape(x.shape[0], -1)
    h, s["bn3"] = batchnorm(p["bn3"], s["bn3"], linear(p["l1"], h), train)
    return linear(p["l2"], jax.nn.relu(h)), s


def head(p, a, b):
    return linear(p["h2"], jax.nn.relu(linear(p["h1"], jnp.concatenate([a, b], 1))))


def init(model, key):
    k = jax.random.split(key, 4)
    if model == "mlp":
        p = {"l1": linear_init(k[0], 392, 256), "l2": linear_init(k[1], 256, 128),
             "l3": linear_init(k[2], 128, 2)}
        s = {}
        p["bn1"], s["bn1"] = bn_init(256)
        p["bn2"], s["bn2"] = bn_init(128)
        return p, s
    if model == "cnn":
        p, s = conv_stack_init(k[0], 2, 2)
        return {"t": p}, {"t": s}
    p, s = {}, {}
    p["t"], s["t"] = conv_stack_init(k[0], 1, 10)
    if model == "cnn_al":
        p["u"], s["u"] = conv_stack_init(k[1], 1, 10)
    p["h1"], p["h2"] = linear_init(k[2], 20, 100), linear_init(k[3], 100, 2)
    return p, s


def forward(model, p, s, x, train):
    """Pair logits, the two towers' digit logits (or None) and the new state."""
    if model == "mlp":
        s = dict(s)
        h, s["bn1"] = batchnorm(p["bn1"], s["bn1"], linear(p["l1"], x.reshape(x.shape[0], -1)), train)
        h, s["bn2"] = batchnorm(p["bn2"], s["bn2"], linear(p["l2"], jax.nn.relu(h)), train)
        return linear(p["l3"], jax.nn.relu(h)), None, s
    if model == "cnn":
        out, st = conv_stack(p["t"], s["t"], x, train)
        return out, None, {"t": st}
    x1, x2 = x[:, :1], x[:, 1:]
    if model == "cnn_al":
        d1, st = conv_stack(p["t"], s["t"], x1, train)
        d2, su = conv_stack(p["u"], s["u"], x2, train)
        return head(p, d1, d2), (d1, d2), {"t": st, "u": su}
    # shared tower: once on the 2B images, BatchNorm over all of them (spec section 6)
    d, st = conv_stack(p["t"], s["t"], jnp.concatenate([x1, x2], 0), train)
    d1, d2 = d[: x.shape[0]], d[x.shape[0]:]
    return head(p, d1, d2), (d1, d2), {"t": st}


def make_step(model):
    aux = model in ("cnn_al", "cnn_ws_al")

    def loss_fn(p, s, x, y, c1, c2):
        out, digits, s = forward(model, p, s, x, True)
        loss = ce(out, y)
        if aux:
            loss = loss + AUX_WEIGHT * (ce(digits[0], c1) + ce(digits[1], c2))
        return loss, s

    @jax.jit
    def step(p, s, lr, x, y, c1, c2):
        (loss, s), g = jax.value_and_grad(loss_fn, has_aux=True)(p, s, x, y, c1, c2)
        return jax.tree_util.tree_map(lambda a, b: a - lr * b, p, g), s, loss

    return step


# ---- data: random pairs, or a round of MNIST pairs (spec section 1) ----

def random_pairs(rng, n):
    x = rng.standard_normal((n, 2, 14, 14)).astype(np.float32)
    c = rng.integers(0, 10, (n, 2))
    return x, (c[:, 0] <= c[:, 1]).astype(np.int32), c[:, 0], c[:, 1]


def read_idx(path):
    opener = gzip.open if os.path.exists(path + ".gz") else open
    with opener(path + ".gz" if opener is gzip.open else path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist_pairs(directory, prefix, rng, n):
    img = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte")).astype(np.float32)
    lab = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte"))
    img = img.reshape(-1, 14, 2, 14, 2).mean((2, 4))  # 28x28 -> 14x14, 2x2 averages
    idx = rng.permutation(len(img))[: 2 * n]
    x = img[idx].reshape(n, 2, 14, 14)
    c = lab[idx].reshape(n, 2).astype(np.int32)
    return x, (c[:, 0] <= c[:, 1]).astype(np.int32), c[:, 0], c[:, 1]


def accuracy(model, p, s, data, bs):
    x, y = data[0], data[1]
    hits = 0
    for i in range(0, len(x), bs):
        out, _, _ = forward(model, p, s, jnp.asarray(x[i: i + bs]), False)
        hits += int((np.asarray(out).argmax(1) == y[i: i + bs]).sum())
    return hits / len(x)


def run(model):
    lr, bs = TABLE1[model]
    rng = np.random.default_rng(ARGS.seed)
    if ARGS.mnist:
        train = mnist_pairs(ARGS.mnist, "train", rng, N_PAIRS)
        test = mnist_pairs(ARGS.mnist, "t10k", rng, N_PAIRS)
        mean, std = train[0].mean(), train[0].std(ddof=1)
        train = ((train[0] - mean) / std,) + train[1:]
        test = ((test[0] - mean) / std,) + test[1:]
    else:
        train = random_pairs(rng, N_PAIRS)
    p, s = init(model, jax.random.PRNGKey(ARGS.seed))
    step = make_step(model)
    times = []
    # epoch 0 compiles and is not timed; with --mnist it is the round's
    # first, so that the round has --epochs epochs in all
    for epoch in range(ARGS.epochs if ARGS.mnist else ARGS.epochs + 1):
        # step decay, lr halved every 15 epochs (spec section 7); a traced
        # argument, so no recompilation
        rate = jnp.float32(lr * 0.5 ** (epoch // 15))
        order = rng.permutation(N_PAIRS)
        t0 = time.perf_counter()
        for i in range(0, N_PAIRS, bs):
            b = order[i: i + bs]
            p, s, loss = step(p, s, rate, *(jnp.asarray(a[b]) for a in train))
        loss.block_until_ready()
        if epoch:
            times.append(time.perf_counter() - t0)
    line = f"{model:<10} {bs:4d} {statistics.median(times):10.4f}"
    if ARGS.mnist:
        line += f" {100 * accuracy(model, p, s, test, min(bs, 256)):8.1f}"
    print(line, flush=True)


def main():
    timed = f"{ARGS.epochs - 1} of the round's {ARGS.epochs}" if ARGS.mnist else f"{ARGS.epochs}"
    print(f"JAX {jax.__version__}, {ARGS.threads} thread(s), {jax.devices()[0].platform}; "
          f"s/epoch = median of {timed} epochs of {N_PAIRS} pairs after one that compiles")
    print(f"{'model':<10} {'bs':>4} {'s/epoch':>10}" + (f" {'test %':>8}" if ARGS.mnist else ""))
    for model in ARGS.model.split(","):
        if model not in TABLE1:
            sys.exit(f"jax_anchor: unknown model '{model}'; use one of {', '.join(TABLE1)}")
        run(model)


if __name__ == "__main__":
    main()
