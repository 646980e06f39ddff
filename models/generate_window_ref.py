#!/usr/bin/env python3
"""PyTorch (float64) reference values of the window ops for the interpreter's unit tests:
writes crates/snnc-interp/tests/data/window_torch.npz (read by tests/window_torch.rs).

    python models/generate_window_ref.py

Each case CASE stores CASE.x (and CASE.w, CASE.b for a convolution), the upstream gradient
CASE.gy, the output CASE.y and the gradients CASE.dx (CASE.dw, CASE.db), all float64, from
torch.nn.functional with autograd. ONNX's per-side pads are F.pad before the op (zeros for a
convolution or sum, -inf for max); `count_include_pad = false` averages divide by the count of
taps inside the input. Inputs are deterministic (sines and cosines of the index)."""

import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "snnc-interp",
                   "tests", "data", "window_torch.npz")


def det(shape, a, b, scale=1.0):
    n = int(np.prod(shape))
    return torch.tensor(scale * np.sin(a * np.arange(n) + b), dtype=torch.float64).reshape(shape)


def run(f, *ts):
    ts = [t.clone().requires_grad_(True) for t in ts]
    y = f(*ts)
    gy = det(y.shape, 0.37, 0.1)
    y.backward(gy)
    return y.detach(), gy, [t.grad for t in ts]


def onnx_pads(x, pads, value=0.0):
    """ONNX pads [b_1..b_k, e_1..e_k] as F.pad's (last axis first) pairs."""
    k = len(pads) // 2
    fp = []
    for i in reversed(range(k)):
        fp += [pads[i], pads[k + i]]
    return F.pad(x, fp, value=value)


def main():
    cases = {}
    # conv2d: strides (2, 1), pads [1, 0, 1, 2], dilations (1, 2), groups 2, bias
    x, w, b = det((2, 4, 7, 8), 0.7, 0.3), det((6, 2, 3, 3), 1.3, 0.2, 0.5), det((6,), 0.9, 1.0)
    y, gy, (dx, dw, db) = run(lambda x, w, b: F.conv2d(onnx_pads(x, [1, 0, 1, 2]), w, b,
                                                       stride=(2, 1), dilation=(1, 2), groups=2),
                              x, w, b)
    cases["conv2d"] = dict(x=x, w=w, b=b, gy=gy, y=y, dx=dx, dw=dw, db=db)
    # conv1d: stride 2, pads [2, 1], dilation 2, no bias
    x, w = det((2, 3, 11), 0.5, 0.1), det((4, 3, 3), 1.1, 0.4, 0.5)
    y, gy, (dx, dw) = run(lambda x, w: F.conv1d(onnx_pads(x, [2, 1]), w, stride=2, dilation=2),
                          x, w)
    cases["conv1d"] = dict(x=x, w=w, gy=gy, y=y, dx=dx, dw=dw)
    # pools over x [2, 3, 6, 7] with kernel (3, 2), strides (2, 2), pads [1, 0, 1, 1]
    x = det((2, 3, 6, 7), 0.8, 0.5)
    pads, k, s = [1, 0, 1, 1], (3, 2), (2, 2)
    ones = torch.ones_like(x)

    def avg_exclude(x):
        tot = F.avg_pool2d(onnx_pads(x, pads), k, s) * 6
        cnt = F.avg_pool2d(onnx_pads(ones, pads), k, s) * 6
        return tot / cnt

    pools = {
        "sumpool": lambda x: F.avg_pool2d(onnx_pads(x, pads), k, s) * 6,
        "avgpool_pad": lambda x: F.avg_pool2d(onnx_pads(x, pads), k, s),
        "avgpool": avg_exclude,
        "maxpool": lambda x: F.max_pool2d(onnx_pads(x, pads, float("-inf")), k, s),
    }
    for name, f in pools.items():
        y, gy, (dx,) = run(f, x)
        cases[name] = dict(x=x, gy=gy, y=y, dx=dx)
    # 1-D max pool, kernel 3, stride 2, pads [1, 2]
    x = det((2, 2, 9), 0.6, 0.7)
    y, gy, (dx,) = run(lambda x: F.max_pool1d(onnx_pads(x, [1, 2], float("-inf")), 3, 2), x)
    cases["maxpool1d"] = dict(x=x, gy=gy, y=y, dx=dx)
    arrays = {f"{c}.{k}": v.detach().numpy() for c, d in cases.items() for k, v in d.items()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
