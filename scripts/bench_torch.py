#!/usr/bin/env python3
"""PyTorch eager side of scripts/gpu-check.sh: the layer Linear(N, N) + IAF on the GPU.

Same semantics as snnc's bench_layer example: integrate-then-fire (Norse >= 1.0), v_th = 1,
v_reset = 0, the reset not detached, spike backward `super` with alpha = 100
(g / (alpha*|s| + 1)^2), upstream gradient of ones, gradients of W and b only. TF32 matmuls are
allowed, as on the snnc side. Prints one JSON line per N:
{"impl": "torch-eager", "t": T, "b": B, "n": N, "fwd_ms": median, "fwdbwd_ms": median, "runs": k}

usage: python3 scripts/bench_torch.py T B N [N ...]
"""
import json
import sys
import time

import torch

ALPHA = 100.0


class Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, s):
        ctx.save_for_backward(s)
        return (s > 0).to(s.dtype)

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g / (ALPHA * s.abs() + 1.0) ** 2


def layer(x, w, b):
    y = torch.nn.functional.linear(x, w, b)
    v = torch.zeros_like(y[0])
    zs = []
    for t in range(y.shape[0]):
        v = v + y[t]
        z = Spike.apply(v - 1.0)
        v = (1.0 - z) * v
        zs.append(z)
    return torch.stack(zs)


def median_ms(fn, budget_s=2.0):
    fn()
    torch.cuda.synchronize()
    times, start = [], time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget_s and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2], len(times)


def main():
    t, b, *ns = (int(a) for a in sys.argv[1:])
    torch.backends.cuda.matmul.allow_tf32 = True
    dev = torch.device("cuda")
    for n in ns:
        g = torch.Generator(device=dev).manual_seed(0)
        bound = 1.0 / n**0.5
        w = ((torch.rand(n, n, device=dev, generator=g) * 2 - 1) * bound).requires_grad_()
        bias = ((torch.rand(n, device=dev, generator=g) * 2 - 1) * bound).requires_grad_()
        x = torch.rand(t, b, n, device=dev, generator=g)
        ones = torch.ones(t, b, n, device=dev)

        def fwd():
            with torch.no_grad():
                layer(x, w, bias)

        def fwdbwd():
            w.grad = None
            bias.grad = None
            layer(x, w, bias).backward(ones)

        f, runs = median_ms(fwd)
        fb, _ = median_ms(fwdbwd)
        print(json.dumps({"impl": "torch-eager", "t": t, "b": b, "n": n, "fwd_ms": round(f, 4),
                          "fwdbwd_ms": round(fb, 4), "runs": runs}), flush=True)
        del w, bias, x, ones
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
