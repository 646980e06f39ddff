#!/usr/bin/env python3
"""Time snnc on the N-MNIST-sized network exported from Norse, SpikingJelly and snnTorch.

The network of the README's Performance section (Linear 2312->512 -> IF -> Linear 512->10 -> IF,
T=100, B=16, 5% input spikes), exported from Norse (`IAFCell`, scripts/peers.py builds it in
models/bench/nmnist), SpikingJelly (`IFNode`) and snnTorch (`Leaky(beta=1)`;
`python models/generate_family.py --bench models/bench/family` writes both). For each export and
round: `snnc bench` (cpu engine, forward and training step) and onnxruntime (CPU execution
provider, forward) on the same file and input. Prints each library's snnc times relative to the
Norse export's in the same round, and onnxruntime / snnc per export. Rounds interleave the
models, so load on the machine moves them together.

    python scripts/family_peers.py [--runs 20] [--repeat 3] [--threads 2]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import median_ms  # noqa: E402
MODELS = {
    "norse": os.path.join(ROOT, "models/bench/nmnist"),
    "spikingjelly": os.path.join(ROOT, "models/bench/family/spikingjelly"),
    "snntorch": os.path.join(ROOT, "models/bench/family/snntorch"),
}


def snnc(a, d):
    model, inp = os.path.join(d, "model.onnx"), os.path.join(d, "input_0.05.npy")
    out = subprocess.run([a.snnc, "bench", model, "--input", f"x={inp}", "--json", "--engine",
                          "cpu", "--runs", str(a.runs), "--warmup", "3", "--threads",
                          str(a.threads), "--train"], check=True, capture_output=True,
                         text=True).stdout
    cpu = json.loads(out)["engines"]["cpu"]
    assert cpu.get("spikes_equal") is not False, f"{d}: snnc's spikes differ from the reference"
    return cpu["forward"]["median_ms"], cpu["train"]["median_ms"]


def onnxruntime(a, d):
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    sess = ort.InferenceSession(os.path.join(d, "model.onnx"), so,
                                providers=["CPUExecutionProvider"])
    x = np.load(os.path.join(d, "input_0.05.npy"))
    return median_ms(lambda: sess.run(None, {"x": x}), a.runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--snnc", default=os.path.join(ROOT, "target/release/snnc"))
    a = ap.parse_args()
    for name, d in MODELS.items():
        if not os.path.exists(os.path.join(d, "model.onnx")):
            sys.exit(f"no {d}/model.onnx: run scripts/peers.py (norse) and "
                     "models/generate_family.py --bench models/bench/family")
    rounds = []
    for r in range(a.repeat):
        res = {}
        for name, d in MODELS.items():
            fwd, train = snnc(a, d)
            res[name] = dict(snnc_forward=fwd, snnc_training=train, ort_forward=onnxruntime(a, d))
        n = res["norse"]
        ratios = {}
        for name, v in res.items():
            ratios[f"{name} forward / norse export's"] = v["snnc_forward"] / n["snnc_forward"]
            ratios[f"{name} training / norse export's"] = v["snnc_training"] / n["snnc_training"]
            ratios[f"{name}: onnxruntime / snnc forward"] = v["ort_forward"] / v["snnc_forward"]
        print(f"round {r + 1}: " + json.dumps(res))
        for k, v in ratios.items():
            print(f"  {k:<42} {v:6.2f}")
        rounds.append(ratios)
    print(f"over {len(rounds)} rounds (median, min-max), {a.threads} threads, median of {a.runs}:")
    for k in rounds[0]:
        v = sorted(r[k] for r in rounds)
        print(f"  {k:<42} {statistics.median(v):6.2f}  ({v[0]:.2f}-{v[-1]:.2f})")


if __name__ == "__main__":
    main()
