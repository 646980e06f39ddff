#!/usr/bin/env python3
"""Time the N-MNIST-sized LIF network against the IAF one with `snnc bench`, interleaved.

The two Norse exports -- IAFCell (`python scripts/peers.py` writes models/bench/nmnist/) and
LIFCell (`python models/generate_leaky.py --bench models/bench/leaky` writes
models/bench/leaky/norse_lif/) -- take the same 5 % input. Each round runs `snnc bench --engine
cpu --train` on the IAF model, then on the LIF model, so that both see the same load; the
script prints every round's medians and minima and the LIF/IAF ratios of each, then the median
and range over the rounds. On a shared, loaded host the minima are the steadier figure. Issue #14 asks for LIF within 1.15x of IAF, forward and training.

    python scripts/lif_vs_iaf.py --snnc target/release/snnc [--rounds 6] [--runs 20]
                                 [--threads 2]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {
    "iaf": os.path.join(ROOT, "models/bench/nmnist"),
    "lif": os.path.join(ROOT, "models/bench/leaky/norse_lif"),
}


def bench(a, d):
    """`snnc bench` on the model in `d`: the forward and training medians and minima (ms)."""
    cmd = [a.snnc, "bench", os.path.join(d, "model.onnx"), "--input",
           f"x={os.path.join(d, 'input_0.05.npy')}", "--json", "--engine", "cpu", "--runs",
           str(a.runs), "--warmup", "3", "--threads", str(a.threads), "--train"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"snnc bench failed on {d} (exit {r.returncode}): {r.stderr.strip()}")
    cpu = json.loads(r.stdout)["engines"]["cpu"]
    if cpu.get("spikes_equal") is False:
        sys.exit(f"{d}: the cpu engine's spikes differ from the reference interpreter's")
    f, t = cpu["forward"], cpu["train"]
    return dict(forward=f["median_ms"], training=t["median_ms"], forward_min=f["min_ms"],
                training_min=t["min_ms"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snnc", required=True, help="the snnc binary (a release build)")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    for name, d in MODELS.items():
        if not os.path.exists(os.path.join(d, "model.onnx")):
            sys.exit(f"no {name} model in {d}: see this script's docstring")
    rows = []
    for r in range(a.rounds):
        iaf, lif = bench(a, MODELS["iaf"]), bench(a, MODELS["lif"])
        row = {}
        for k in iaf:
            row[f"iaf_{k}"], row[f"lif_{k}"] = iaf[k], lif[k]
        for k in iaf:
            row[f"{k}_ratio"] = lif[k] / iaf[k]
        print(f"round {r + 1}: " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
        rows.append(row)
    print(f"over {len(rows)} rounds, {a.threads} threads, medians and minima of {a.runs} runs "
          "(median, min-max; times in ms):")
    for k in rows[0]:
        v = sorted(row[k] for row in rows)
        print(f"  {k:<20} {statistics.median(v):7.3f}  ({v[0]:.3f}-{v[-1]:.3f})")


if __name__ == "__main__":
    main()
