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

With --cnn norse|sinabs it times issue #15's spiking CNN instead (Conv 2->16 5x5 s2 -> IF ->
Conv 16->16 3x3 -> IF -> SumPool 2 -> Conv 16->8 3x3 -> IF -> SumPool 2 -> Flatten -> Linear
128->256 -> IF -> Linear 256->10 -> IF, B=16, 2x34x34 input spikes at 5 %, T=100), exported by
`python models/generate_cnn.py --bench models/bench/cnn` to models/bench/cnn/{lib}_cnn/ (not
committed; written when missing), against the library it came from (Norse's IAFCell loop, or
sinabs' IAFSqueeze Sequential) in eager mode:

    python scripts/leaky_peers.py --cnn norse [--runs 5] [--snnc BIN]
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
from peers import median_ms  # noqa: E402
import generate_leaky as gl  # noqa: E402


def measure(a, lib, forward, loss, params, x, model, inp):
    """One round: every engine's median latency (ms) on the same model and input. `forward`
    runs the library's network eagerly on x (a tensor), `loss` reduces its output to a scalar
    whose gradient with respect to `params` is the training step."""
    xt = torch.from_numpy(x)
    res = {}
    with torch.no_grad():
        res[f"{lib}_forward"] = median_ms(lambda: forward(xt), a.runs)

    def train_step():
        torch.autograd.grad(loss(forward(xt)), params)

    res[f"{lib}_training"] = median_ms(train_step, a.runs)

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


def lib_ratios(lib, res):
    """The speed-ups of snnc over each peer, and of onnxruntime over the library, in one round."""
    out = {}
    if "snnc_forward" in res:
        out["onnxruntime / snnc forward"] = res["onnxruntime_forward"] / res["snnc_forward"]
        out[f"{lib} eager / snnc forward"] = res[f"{lib}_forward"] / res["snnc_forward"]
    if "snnc_training" in res:
        out[f"{lib} / snnc training"] = res[f"{lib}_training"] / res["snnc_training"]
    out[f"{lib} eager / onnxruntime forward"] = res[f"{lib}_forward"] / res["onnxruntime_forward"]
    return out


def rounds_of(a, title, lib, args):
    """`a.repeat` rounds of `measure(a, lib, *args)`, each printed under `title`, then the
    spread of each ratio over the rounds."""
    rounds = []
    for _ in range(max(a.repeat, 1)):
        res = measure(a, lib, *args)
        print(f"{title}, {a.threads} threads, median of {a.runs}")
        for k, v in res.items():
            print(f"  {k:<22} {v:9.3f} ms")
        rs = lib_ratios(lib, res)
        for k, v in rs.items():
            print(f"  {k:<34} {v:6.2f}x")
        print(json.dumps(res))
        rounds.append(rs)
    if len(rounds) > 1:
        print(f"over {len(rounds)} rounds (median, min-max):")
        for k in rounds[0]:
            v = sorted(r[k] for r in rounds)
            print(f"  {k:<34} {statistics.median(v):6.2f}x  ({v[0]:.2f}-{v[-1]:.2f})")


def ort_outputs(a, model, x):
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"]).run(None, {"x": x})


def lif_main(a):
    """The N-MNIST-sized LIFCell MLP (the default)."""
    d = os.path.join(a.dir or os.path.join(ROOT, "models/bench/leaky"), "norse_lif")
    model, inp = os.path.join(d, "model.onnx"), os.path.join(d, "input_0.05.npy")
    if not (os.path.exists(model) and os.path.exists(inp)):
        gl.bench(os.path.dirname(d))
    net, x = gl.bench_net(), np.load(inp)
    assert np.array_equal(x, gl.bench_input()), f"{inp} is not generate_leaky's bench input"
    with torch.no_grad():
        z, v = net(torch.from_numpy(x))
    oz, ov = ort_outputs(a, model, x)
    print(f"onnxruntime vs Norse eager: {int(np.sum(oz != z.numpy()))} of {oz.size} spikes "
          f"differ, max |v_final diff| {float(np.max(np.abs(ov - v.numpy()))):.1e}")
    dims = gl.BENCH_DIMS
    title = (f"N-MNIST-sized Norse LIFCell model, T={dims['T']} B={dims['B']} {dims['I']}->"
             f"{dims['H']}->{dims['O']}, input density 0.05, output spike rate "
             f"{float(z.mean()):.3f}")
    rounds_of(a, title, "norse", (net, lambda o: o[0].sum() + o[1].sum(),
                                  list(net.parameters()), x, model, inp))


def cnn_main(a):
    """Issue #15's spiking CNN from Norse or sinabs."""
    import generate_cnn as gc  # noqa: E402  (imports sinabs and norse)
    lib = a.cnn
    outdir = a.dir or os.path.join(ROOT, "models/bench/cnn")
    d = gc.bench_dir(outdir, lib)
    model, inp = os.path.join(d, "model.onnx"), os.path.join(d, f"input_{gc.BENCH_DENSITY:g}.npy")
    if not (os.path.exists(model) and os.path.exists(inp)):
        gc.bench(outdir, (lib,))
    net, x = gc.bench_net(lib), np.load(inp)
    assert np.array_equal(x, gc.bench_input(lib).numpy()), f"{inp} is not the CNN bench input"

    def forward(xt):
        net.reset_state()  # sinabs keeps its state between calls; Norse's loop starts fresh
        return net(xt)

    with torch.no_grad():
        z = forward(torch.from_numpy(x))
    (oz,) = ort_outputs(a, model, x)
    print(f"onnxruntime vs {lib} eager: {int(np.sum(oz != z.numpy()))} of {oz.size} spikes "
          f"differ")
    dims = gc.BENCH_DIMS
    title = (f"{lib} spiking CNN (NIR paper's N-MNIST network), T={dims['T']} B={dims['B']} "
             f"{dims['C']}x{dims['H']}x{dims['W']}, input density {gc.BENCH_DENSITY:g}, output "
             f"spike rate {float((z > 0).float().mean()):.3f}")
    # sinabs registers its fixed spike thresholds as parameters that need no gradient.
    params = [p for p in net.parameters() if p.requires_grad]
    rounds_of(a, title, lib, (forward, lambda o: o.sum(), params, x, model, inp))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--snnc", help="an snnc binary to time with `snnc bench` (optional)")
    ap.add_argument("--cnn", choices=["norse", "sinabs"],
                    help="time issue #15's spiking CNN from this library instead of the LIF MLP")
    ap.add_argument("--dir", help="where the bench models are (default models/bench/leaky, or "
                                  "models/bench/cnn with --cnn)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.cnn:
        cnn_main(a)
    else:
        lif_main(a)


if __name__ == "__main__":
    main()
