#!/usr/bin/env python3
"""Time the N-MNIST-sized network with Norse's LIFCell against its peers on the same export.

The network of scripts/peers.py with LIFCell() in place of IAFCell() -- Linear 2312->512 ->
LIFCell -> Linear 512->10 -> LIFCell, T=100, B=16, 5% input spikes, the weights and input of
peers.py -- exported by `python models/generate_leaky.py --bench models/bench/leaky` to
models/bench/leaky/norse_lif/ (not committed; this script writes it when it is missing).
Reports the median latency of:

  * Norse 1.1.0 eager, forward (no_grad) and training (forward + parameter gradients);
  * onnxruntime (CPU execution provider) on the same model.onnx, forward;
  * `snnc bench` (cpu engine, forward and training step) on the same file and input, when a
    binary is given with --snnc (an snnc that cannot import or compile the model is reported,
    not fatal);

and prints the ratios. Needs the packages of models/requirements.txt.

    python scripts/leaky_peers.py [--runs 20] [--repeat 1] [--threads 2] [--snnc BIN]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))
from peers import median_ms, ratios  # noqa: E402
import generate_leaky as gl  # noqa: E402


def measure(a, net, x, model, inp):
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

    if a.snnc:
        r = subprocess.run([a.snnc, "bench", model, "--input", f"x={inp}", "--json", "--engine",
                            "cpu", "--runs", str(a.runs), "--warmup", "3", "--threads",
                            str(a.threads), "--train"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"snnc bench failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()}")
        else:
            cpu = json.loads(r.stdout)["engines"]["cpu"]
            res["snnc_forward"] = cpu["forward"]["median_ms"]
            if "train" in cpu:
                res["snnc_training"] = cpu["train"]["median_ms"]
            check = dict(max_abs_diff=cpu.get("max_abs_diff"),
                         spikes_equal=cpu.get("spikes_equal"),
                         grad_rel_err=cpu.get("train", {}).get("grad_rel_err"))
            print(f"snnc cpu vs reference interpreter: {json.dumps(check)}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--snnc", help="an snnc binary to time with `snnc bench` (optional)")
    ap.add_argument("--dir", default=os.path.join(ROOT, "models/bench/leaky"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    d = os.path.join(a.dir, "norse_lif")
    model, inp = os.path.join(d, "model.onnx"), os.path.join(d, "input_0.05.npy")
    if not (os.path.exists(model) and os.path.exists(inp)):
        gl.bench(a.dir)
    net, x = gl.bench_net(), np.load(inp)
    assert np.array_equal(x, gl.bench_input()), f"{inp} is not generate_leaky's bench input"
    with torch.no_grad():
        z, v = net(torch.from_numpy(x))
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    oz, ov = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    print(f"onnxruntime vs Norse eager: {int(np.sum(oz != z.numpy()))} of {oz.size} spikes "
          f"differ, max |v_final diff| {float(np.max(np.abs(ov - v.numpy()))):.1e}")
    dims = gl.BENCH_DIMS
    rounds = []
    for _ in range(max(a.repeat, 1)):
        res = measure(a, net, x, model, inp)
        print(f"N-MNIST-sized Norse LIFCell model, T={dims['T']} B={dims['B']} {dims['I']}->"
              f"{dims['H']}->{dims['O']}, input density 0.05, output spike rate "
              f"{float(z.mean()):.3f}, {a.threads} threads, median of {a.runs}")
        for k, v in res.items():
            print(f"  {k:<22} {v:9.3f} ms")
        rs = ratios(res)
        rs["norse eager / onnxruntime forward"] = (res["norse_forward"]
                                                   / res["onnxruntime_forward"])
        for k, v in rs.items():
            print(f"  {k:<34} {v:6.2f}x")
        print(json.dumps(res))
        rounds.append(rs)
    if len(rounds) > 1:
        print(f"over {len(rounds)} rounds (median, min-max):")
        for k in rounds[0]:
            v = sorted(r[k] for r in rounds)
            print(f"  {k:<34} {statistics.median(v):6.2f}x  ({v[0]:.2f}-{v[-1]:.2f})")


if __name__ == "__main__":
    main()
