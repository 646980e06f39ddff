#!/usr/bin/env python3
"""Time snnc against its peers on the same exported model.

Builds (once) the N-MNIST-sized Norse network of issue #4 -- Linear 2312->512 -> IAFCell ->
Linear 512->10 -> IAFCell, T=100, B=16 -- exports it with torch.onnx.export(dynamo=True) to
models/bench/nmnist/ (not committed: 4.7 MB of weights), draws an input with 5% spikes, then
reports the median latency of:

  * Norse 1.1.0 eager, forward (no_grad) and training (forward + parameter gradients);
  * onnxruntime (CPU execution provider) on the same model.onnx, forward;
  * `snnc bench` (release build) on the same file and input, when the binary exists;

and prints the ratios. Needs the packages of models/requirements.txt.

    python scripts/peers.py [--runs 20] [--repeat 1] [--threads 2] [--density 0.05]
                            [--snnc target/release/snnc]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))
from generate_fixtures import FFNet, export_norse  # noqa: E402

DIMS = dict(T=100, B=16, I=2312, H=512, O=10)


def median_ms(fn, runs, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def build(dir_, density):
    torch.manual_seed(0)
    net = FFNet(DIMS["I"], DIMS["H"], DIMS["O"])
    rng = np.random.default_rng(0)
    x = (rng.random((DIMS["T"], DIMS["B"], DIMS["I"])) < density).astype(np.float32)
    model = os.path.join(dir_, "model.onnx")
    if not os.path.exists(model):
        os.makedirs(dir_, exist_ok=True)
        export_norse(net, torch.from_numpy(x), dir_, ["x"], ["spikes", "v_final"])
    np.save(os.path.join(dir_, f"input_{density:g}.npy"), x)
    return net, x, model


def measure(a, net, x, model):
    """One round: every engine's median latency (ms) on the same model and input."""
    xt = torch.from_numpy(x)
    res = {}

    with torch.no_grad():
        res["norse_forward"] = median_ms(lambda: net(xt), a.runs)

    params = list(net.parameters())

    def train_step():
        spikes, v = net(xt)
        loss = spikes.sum() + v.sum()
        torch.autograd.grad(loss, params)

    res["norse_training"] = median_ms(train_step, a.runs)

    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    res["onnxruntime_forward"] = median_ms(lambda: sess.run(None, {"x": x}), a.runs)

    if os.path.exists(a.snnc):
        inp = os.path.join(a.dir, f"input_{a.density:g}.npy")
        # The reference interpreter runs once (outputs and gradients to compare against) but is
        # not timed: at this size it takes seconds per run.
        out = subprocess.run([a.snnc, "bench", model, "--input", f"x={inp}", "--json",
                              "--engine", "cpu,tract", "--runs", str(a.runs), "--warmup", "3",
                              "--threads", str(a.threads), "--train"],
                             check=True, capture_output=True, text=True).stdout
        eng = json.loads(out)["engines"]
        cpu = eng["cpu"]
        res["snnc_forward"] = cpu["forward"]["median_ms"]
        if "train" in cpu:
            res["snnc_training"] = cpu["train"]["median_ms"]
        if "median_ms" in eng.get("tract", {}):
            res["tract_forward"] = eng["tract"]["forward"]["median_ms"]
        check = dict(max_abs_diff=cpu.get("max_abs_diff"), spikes_equal=cpu.get("spikes_equal"),
                     grad_rel_err=cpu.get("train", {}).get("grad_rel_err"))
        print(f"snnc cpu vs reference interpreter: {json.dumps(check)}")
    else:
        print(f"(no snnc binary at {a.snnc}: cargo build --release -p snnc-cli)")
    return res


def ratios(res):
    """The speed-ups of snnc over each peer in one round."""
    out = {}
    if "snnc_forward" in res:
        f = res["snnc_forward"]
        out["onnxruntime / snnc forward"] = res["onnxruntime_forward"] / f
        out["norse eager / snnc forward"] = res["norse_forward"] / f
        if "tract_forward" in res:
            out["tract / snnc forward"] = res["tract_forward"] / f
    if "snnc_training" in res:
        out["pytorch / snnc training"] = res["norse_training"] / res["snnc_training"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of the whole comparison; with more than one, the spread of "
                         "each ratio over the rounds is printed too")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--density", type=float, default=0.05)
    ap.add_argument("--snnc", default=os.path.join(ROOT, "target/release/snnc"))
    ap.add_argument("--dir", default=os.path.join(ROOT, "models/bench/nmnist"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    net, x, model = build(a.dir, a.density)
    rounds = []
    for _ in range(max(a.repeat, 1)):
        res = measure(a, net, x, model)
        print(f"N-MNIST-sized model, T={DIMS['T']} B={DIMS['B']} {DIMS['I']}->{DIMS['H']}->"
              f"{DIMS['O']}, input density {a.density:g}, {a.threads} threads, median of "
              f"{a.runs}")
        for k, v in res.items():
            print(f"  {k:<22} {v:9.3f} ms")
        for k, v in ratios(res).items():
            print(f"  {k:<28} {v:6.1f}x")
        print(json.dumps(res))
        rounds.append(ratios(res))
    if len(rounds) > 1:
        print(f"over {len(rounds)} rounds (median, min-max):")
        for k in rounds[0]:
            v = sorted(r[k] for r in rounds)
            print(f"  {k:<28} {statistics.median(v):6.1f}x  ({v[0]:.1f}-{v[-1]:.1f})")


if __name__ == "__main__":
    main()
