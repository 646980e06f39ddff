#!/usr/bin/env python3
"""Generate the spiking-CNN fixtures under models/cnn/ (see models/README.md and docs/conv.md).

    python models/generate_cnn.py                  # regenerates every fixture in models/cnn/
    python models/generate_cnn.py --only norse     # only one library's fixtures
    python models/generate_cnn.py --bench models/bench/cnn   # the issue #15 benchmark models

The network is the NIR paper's N-MNIST CNN (the shapes of /work/shared/nir/cnn_sinabs.nir):

    Conv 2->16 5x5 stride 2 pad 1 -> IF -> Conv 16->16 3x3 pad 1 -> IF -> SumPool 2
    -> Conv 16->8 3x3 pad 1 -> IF -> SumPool 2 -> Flatten (128) -> Linear 128->256 -> IF
    -> Linear 256->10 -> IF

on N-MNIST-sized spike input (2 x 34 x 34, 15 % density), B = 4, T = 8 (with gradients), plus
T = 16 and T = 32 copies with the same weights (outputs only, for the node-count tests), written
the way each library's users write it:

* Norse 1.1.0 (`norse_cnn*`): nn.Conv2d / sinabs' SumPool2d / nn.Flatten / nn.Linear with
  `norse.torch.IAFCell` (integrate-then-fire, v_th 1, reset to 0, SuperSpike) in a Python loop
  over T, time-major input x [T, B, 2, 34, 34], output spikes [T, B, 10].
* sinabs 3.1.3 (`sinabs_cnn*`): an nn.Sequential with `sinabs.layers.IAFSqueeze(batch_size=B)`
  (its defaults: MultiSpike, MembraneSubtract, SingleExponential), sinabs' squeezed batch-major
  layout x [B*T, 2, 34, 34] (row b*T + t), output spikes [B*T, 10].

sinabs' SumPool2d is torch's LPPool2d with p = 1; PyTorch exports it as
Pow(x, 1) -> AveragePool(count_include_pad=1) -> Sign*Relu(Abs) -> Mul(4) -> Pow(., 1).

An independent implementation of the network (`spec_forward`: F.conv2d, a sum pool, SPEC
section 1.1 cells) must reproduce the library's spikes exactly (float32 and float64), with
weights on a 2^-8 grid every potential must be exact in float32 (float32 == float64; a Theta
argument of exactly 0 is then decided the same way by any engine, so no margin is needed), and
onnxruntime must reproduce the library's outputs from model.onnx. The gradients are the library's autograd (float64 where
the library runs in float64) of sum(gout * out) with respect to x and every parameter, keyed by
ONNX name. Everything is seeded.
"""

import argparse
import json
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate_fixtures as gf  # noqa: E402  (deterministic torch, export and file helpers)

import norse  # noqa: E402
import norse.torch as nt  # noqa: E402
from norse.torch.functional.iaf import IAFParameters  # noqa: E402
import sinabs  # noqa: E402
import sinabs.layers as sl  # noqa: E402

warnings.filterwarnings("ignore")

CNN = os.path.join(HERE, "cnn")
B, T = 4, 8
TS_EXTRA = (16, 32)
DENSITY = 0.15
RATE_RANGE = (0.02, 0.60)   # every IF layer's spike rate (spikes per neuron and step)
F32 = np.float32
VERSIONS = {"norse": norse.__version__ if hasattr(norse, "__version__") else "1.1.0",
            "sinabs": sinabs.__version__}
LAYERS = ["conv1", "conv2", "conv3", "fc1", "fc2"]
# per-layer weight gains over PyTorch's default init, so that every layer fires at a useful rate
GAINS = {"conv1": 3.0, "conv2": 3.0, "conv3": 3.0, "fc1": 3.0, "fc2": 3.0}
# Weights and biases are rounded to multiples of 2^-8 (GRID): with binary input, every value the
# network computes (conv and linear sums, pooled counts, potentials) is then a small multiple of
# 2^-8, exact in float32, so any summation order gives the same bits and a potential that lands
# exactly on the threshold is decided the same way everywhere (checked: float32 == float64).
GRID = 2.0 ** -8


# ----------------------------------------------------------------------------------------------
# The two library networks
# ----------------------------------------------------------------------------------------------

def convs():
    return [nn.Conv2d(2, 16, 5, stride=2, padding=1), nn.Conv2d(16, 16, 3, padding=1),
            nn.Conv2d(16, 8, 3, padding=1)]


class NorseCNN(nn.Module):
    """The users' way: layers applied per time step, IAFCell states threaded through a loop."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2, self.conv3 = convs()
        self.pool2, self.pool3 = sl.SumPool2d(2), sl.SumPool2d(2)
        self.flat = nn.Flatten()
        self.fc1, self.fc2 = nn.Linear(128, 256), nn.Linear(256, 10)
        self.cells = nn.ModuleList([nt.IAFCell(IAFParameters()) for _ in range(5)])

    def reset_state(self):
        pass

    def forward(self, x):
        s = [None] * 5
        outs = []
        for t in range(x.shape[0]):
            z, s[0] = self.cells[0](self.conv1(x[t]), s[0])
            z, s[1] = self.cells[1](self.conv2(z), s[1])
            z, s[2] = self.cells[2](self.conv3(self.pool2(z)), s[2])
            z, s[3] = self.cells[3](self.fc1(self.flat(self.pool3(z))), s[3])
            z, s[4] = self.cells[4](self.fc2(z), s[4])
            outs.append(z)
        return torch.stack(outs)


class SinabsCNN(nn.Sequential):
    """The users' way: one nn.Sequential over the squeezed [B*T, ...] batch."""

    def __init__(self, batch=B):
        c1, c2, c3 = convs()
        super().__init__(
            c1, sl.IAFSqueeze(batch_size=batch),
            c2, sl.IAFSqueeze(batch_size=batch), sl.SumPool2d(2),
            c3, sl.IAFSqueeze(batch_size=batch), sl.SumPool2d(2),
            nn.Flatten(), nn.Linear(128, 256), sl.IAFSqueeze(batch_size=batch),
            nn.Linear(256, 10), sl.IAFSqueeze(batch_size=batch))

    def reset_state(self):
        for m in self:
            if hasattr(m, "reset_states"):
                m.reset_states()


SINABS_NAMES = {"conv1": "0", "conv2": "2", "conv3": "5", "fc1": "9", "fc2": "11"}


def torch_name(lib, layer, what):
    return f"{layer}.{what}" if lib == "norse" else f"{SINABS_NAMES[layer]}.{what}"


def build(lib, batch=B):
    return NorseCNN() if lib == "norse" else SinabsCNN(batch)


def params(lib, seed):
    """Seeded PyTorch default init with the layer gains, as a state dict of parameters."""
    torch.manual_seed(seed)
    net = build(lib)
    sd = {}
    for layer in LAYERS:
        for what in ("weight", "bias"):
            k = torch_name(lib, layer, what)
            w = dict(net.named_parameters())[k].detach().clone() * GAINS[layer]
            sd[k] = torch.round(w / GRID) * GRID
    return sd


def run_lib(lib, sd, x):
    net = build(lib)
    net.load_state_dict(sd, strict=False)
    net = net.to(x.dtype)
    net.reset_state()
    return net, net(x)


# ----------------------------------------------------------------------------------------------
# Independent implementation (SPEC section 1.1 cells) for the spike and margin checks
# ----------------------------------------------------------------------------------------------

def spec_forward(lib, sd, x, batch=B):
    """(output spikes, [spike sequence per IF layer], min margin, every potential v_hat): Norse
    cells are integrate-then-fire, gt, reset to 0; sinabs cells are multi-spike, subtract."""
    P = {layer: (sd[torch_name(lib, layer, "weight")], sd[torch_name(lib, layer, "bias")])
         for layer in LAYERS}
    if lib == "sinabs":
        Tn = x.shape[0] // batch
        x = x.reshape(batch, Tn, *x.shape[1:]).transpose(0, 1)
    Tn = x.shape[0]
    v = [None] * 5
    margins, seqs, vhs = [], [[] for _ in range(5)], []

    def cell(i, cur):
        vh = cur if v[i] is None else v[i] + cur
        vhs.append(vh.double().flatten())
        if lib == "norse":
            z = (vh - 1.0 > 0).to(vh.dtype)
            v[i] = (1 - z) * vh
            margins.append((vh - 1.0).abs().min().item())
        else:
            z = (vh > 0).to(vh.dtype) * torch.trunc(vh / 1.0)
            v[i] = vh - z * 1.0
            k = torch.clamp(torch.round(vh), min=1.0)
            margins.append((vh - k).abs().min().item())
        seqs[i].append(z)
        return z

    def pool(z):
        return F.avg_pool2d(z, 2) * 4

    outs = []
    for t in range(Tn):
        z = cell(0, F.conv2d(x[t], *P["conv1"], stride=2, padding=1))
        z = cell(1, F.conv2d(z, *P["conv2"], padding=1))
        z = cell(2, F.conv2d(pool(z), *P["conv3"], padding=1))
        z = cell(3, F.linear(pool(z).flatten(1), *P["fc1"]))
        z = cell(4, F.linear(z, *P["fc2"]))
        outs.append(z)
    out = torch.stack(outs)
    if lib == "sinabs":
        out = out.transpose(0, 1).reshape(batch * Tn, -1)
    return out, [torch.stack(s) for s in seqs], min(margins), torch.cat(vhs)


def draw_input(seed, lib, Tn):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(Tn, B, 2, 34, 34, generator=g) < DENSITY).float()
    return x if lib == "norse" else x.transpose(0, 1).reshape(B * Tn, 2, 34, 34)


def prefix(lib, x, Tn):
    if lib == "norse":
        return x[:Tn].clone()
    T0 = x.shape[0] // B
    return x.reshape(B, T0, 2, 34, 34)[:, :Tn].reshape(B * Tn, 2, 34, 34).clone()


def acceptable(lib, sd, x):
    Tmax = max(TS_EXTRA)
    for Tn in (T,) + TS_EXTRA:
        xs = prefix(lib, x, Tn) if Tn != Tmax else x
        _, seqs, _, vh32 = spec_forward(lib, sd, xs)
        P64 = {k: v.double() for k, v in sd.items()}
        _, _, _, vh64 = spec_forward(lib, P64, xs.double())
        assert torch.equal(vh32, vh64), f"{lib}: float32 potentials are not exact"
        rates = [float((s > 0).float().mean()) for s in seqs]
        if not all(RATE_RANGE[0] <= r <= RATE_RANGE[1] for r in rates):
            return None
    return rates


def search(lib, base, tries=200):
    for k in range(tries):
        seed = base + k
        sd = params(lib, seed)
        x = draw_input(seed + 7, lib, max(TS_EXTRA))
        rates = acceptable(lib, sd, x)
        if rates is not None:
            return seed, sd, x
    raise RuntimeError(f"{lib}: no seed in {tries} tries gives margins and rates in range")


# ----------------------------------------------------------------------------------------------
# Fixture writing
# ----------------------------------------------------------------------------------------------

SURROGATES = {
    "norse": ("super:1", "IAFParameters() method='super': Norse 1.1.0 SuperSpike ignores alpha "
                         "(backward g/(|s|+1)^2)", "attached"),
    "sinabs": ("exp:2", "SingleExponential() (grad_width=0.5, grad_scale=1): alpha = "
                        "1/(0.5*v_th)", "attached"),
}

CELLS = {
    "norse": {"order": "integrate_then_fire", "threshold": "gt", "reset": "value",
              "reset_grad": "attached", "spikes": "single", "v_th": 1.0, "v_reset": 0.0},
    "sinabs": {"order": "integrate_then_fire", "threshold": "ge", "reset": "subtract",
               "reset_grad": "attached", "spikes": "multi", "v_th": 1.0, "v_reset": 0.0},
}

DESCRIPTIONS = {
    "norse": "Norse 1.1.0: nn.Conv2d(2,16,5,stride=2,padding=1) -> IAFCell -> nn.Conv2d(16,16,3,"
             "padding=1) -> IAFCell -> sinabs SumPool2d(2) -> nn.Conv2d(16,8,3,padding=1) -> "
             "IAFCell -> SumPool2d(2) -> nn.Flatten -> nn.Linear(128,256) -> IAFCell -> "
             "nn.Linear(256,10) -> IAFCell (IAFParameters(): v_th 1, v_reset 0, super); Python "
             "loop over T, states starting as None; x [T, B, 2, 34, 34].",
    "sinabs": "sinabs 3.1.3: nn.Sequential(Conv2d(2,16,5,stride=2,padding=1), IAFSqueeze, "
              "Conv2d(16,16,3,padding=1), IAFSqueeze, SumPool2d(2), Conv2d(16,8,3,padding=1), "
              "IAFSqueeze, SumPool2d(2), Flatten, Linear(128,256), IAFSqueeze, Linear(256,10), "
              "IAFSqueeze), IAFSqueeze(batch_size=B) with sinabs' defaults (MultiSpike, "
              "MembraneSubtract, SingleExponential); x [B*T, 2, 34, 34] (row b*T + t).",
}


def savez(path, arrays):
    """Compressed .npz (binary spike inputs shrink ~20x); float32 like the other fixtures."""
    np.savez_compressed(path, **{k: np.ascontiguousarray(np.asarray(v, dtype=np.float32))
                                 for k, v in arrays.items()})


def fresh(name):
    d = os.path.join(CNN, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def library_grads(lib, sd, x, gout):
    """The library's autograd of sum(gout * out): float64 when the library runs in it."""
    for dtype in (torch.float64, torch.float32):
        try:
            net = build(lib)
            net.load_state_dict(sd, strict=False)
            net = net.to(dtype)
            net.reset_state()
            xg = x.to(dtype).clone().requires_grad_(True)
            out = net(xg)
            if out.dtype != dtype:
                continue
            out.backward(torch.from_numpy(gout).to(dtype))
        except RuntimeError:
            continue
        g = {"x": xg.grad.detach().double().numpy()}
        named = dict(net.named_parameters())
        for k in sd:
            g[k] = named[k].grad.detach().double().numpy()
        return dtype, g, out.detach()
    raise RuntimeError(f"{lib}: no autograd run")


def fixture(lib, name, sd, x, seed, with_grads, base=None):
    d = fresh(name)
    net, out = run_lib(lib, sd, x)
    outputs = {"spikes": gf.to_np(out)}
    spec_out, seqs, margin, vh32 = spec_forward(lib, sd, x)
    assert np.array_equal(gf.to_np(spec_out), outputs["spikes"]), f"{name}: spec spikes differ"
    spec64, _, _, vh64 = spec_forward(lib, {k: v.double() for k, v in sd.items()}, x.double())
    assert np.array_equal(gf.to_np(spec64), outputs["spikes"]), f"{name}: float64 spikes flip"
    assert torch.equal(vh32, vh64), f"{name}: float32 potentials are not exact"
    net.reset_state()
    model = gf.export_norse(net, x, d, ["x"], ["spikes"])
    ins, outs_n, inits = gf.onnx_names(model)
    assert ins == ["x"] and outs_n == ["spikes"], (ins, outs_n)
    hist = gf.write_ops(d, model)
    opset = {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
    inputs = {"x": x.numpy().astype(F32)}
    savez(os.path.join(d, "inputs.npz"), inputs)
    savez(os.path.join(d, "outputs.npz"), outputs)
    ort_worst = gf.ort_check(d, inputs, outputs, ["spikes"])
    param_map = gf.map_params(os.path.join(d, "model.onnx"), sd)
    Tn = x.shape[0] if lib == "norse" else x.shape[0] // B
    rates = [float((s > 0).float().mean()) for s in seqs]

    grads_meta = []
    if with_grads:
        rng = np.random.default_rng(seed + 1000)
        gouts = {"spikes": rng.standard_normal(outputs["spikes"].shape).astype(F32)}
        savez(os.path.join(d, "grad_outputs.npz"), gouts)
        dtype, g, lout = library_grads(lib, sd, x, gouts["spikes"])
        assert np.array_equal(gf.to_np(lout), outputs["spikes"]), f"{name}: {dtype} flip"
        grads = {"x": g["x"]}
        for k, (on, tr) in param_map.items():
            grads[on] = g[k].T if tr else g[k]
        gf.check_grad_keys(model, grads)
        savez(os.path.join(d, "grads.npz"), grads)
        surrogate, lib_surrogate, reset_grad = SURROGATES[lib]
        grads_meta.append({
            "file": "grads.npz", "surrogate": surrogate, "reset_grad": reset_grad,
            "library_surrogate": lib_surrogate,
            "dtype": ("float64 (stored as float32)" if dtype == torch.float64 else
                      "float32 (the library does not run in float64)"),
            "source": f"{lib} {VERSIONS[lib]} autograd"})

    meta = {
        "name": name,
        "description": (DESCRIPTIONS[lib] if base is None else
                        f"The network of {base} (same weights) over T={Tn}; x is a prefix of the "
                        f"T={max(TS_EXTRA)} input along the time axis."),
        "kind": "library_export", "library": lib, "library_version": VERSIONS[lib],
        "network": "NIR paper N-MNIST CNN (shapes of cnn_sinabs.nir)",
        **CELLS[lib],
        "layout": "time_major" if lib == "norse" else "batch_major_squeezed",
        "T": int(Tn), "B": B, "inputs": ins, "outputs": outs_n, "spike_outputs": ["spikes"],
        "grads": grads_meta, "min_margin": margin,
        "exact_arithmetic": ("weights and biases are multiples of 2^-8 and the input is binary: "
                             "every potential is exact in float32 (checked against float64), "
                             "so min_margin may be 0 without any order-dependent spike"),
        "spike_rates": {"spikes": rates[-1]},
        "hidden_spike_rates": dict(zip(["if1", "if2", "if3", "if4"], rates[:-1])),
        "ort_max_abs_diff": ort_worst,
        "opset": opset, "ir_version": model.ir_version,
        "initializers": {k: list(v[0]) for k, v in inits.items()},
        "trainable_initializers": [param_map[k][0] for k in sd],
        "torch_parameters": {k: {"onnx_initializer": v[0], "transposed": v[1]}
                             for k, v in param_map.items()},
        "seed": seed,
        "generator": {"torch": torch.__version__.split("+")[0], lib: VERSIONS[lib],
                      "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }
    if not with_grads:
        meta["note"] = "model, inputs and outputs only (no gradients): for the T-independence test"
    gf.write_meta(d, meta)
    print(f"{name}: T={Tn} ops {dict(hist)} rates {[round(r, 3) for r in rates]} "
          f"margin {meta['min_margin']:.2e}")


def gen(lib, base_seed):
    seed, sd, x = search(lib, base_seed)
    name = f"{lib}_cnn"
    fixture(lib, name, sd, prefix(lib, x, T), seed, True)
    for Tn in TS_EXTRA:
        fixture(lib, f"{name}_t{Tn}", sd, prefix(lib, x, Tn), seed, False, base=name)


# ----------------------------------------------------------------------------------------------
# Issue #15's benchmark models (not committed): B = 16, T = 100, 5 % input spikes
# ----------------------------------------------------------------------------------------------

BENCH_DIMS = dict(T=100, B=16, C=2, H=34, W=34)
BENCH_DENSITY = 0.05


def bench_input(lib, density=BENCH_DENSITY):
    """Seeded 2x34x34 spikes at `density`, in the library's layout ([T, B, ...] for Norse,
    sinabs' squeezed [B*T, ...] with row b*T + t)."""
    d = BENCH_DIMS
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(d["T"], d["B"], d["C"], d["H"], d["W"], generator=g) < density).float()
    return x if lib == "norse" else x.transpose(0, 1).reshape(d["B"] * d["T"], *x.shape[2:])


def bench_seed(lib):
    """The seed of the committed fixture `models/cnn/{lib}_cnn` (its weights)."""
    with open(os.path.join(CNN, f"{lib}_cnn", "meta.json")) as f:
        return json.load(f)["seed"]


def bench_net(lib):
    """The network with the weights of the committed fixture `models/cnn/{lib}_cnn` (its seed
    in meta.json), at the bench batch size, in eval state."""
    net = build(lib, BENCH_DIMS["B"])
    net.load_state_dict(params(lib, bench_seed(lib)), strict=False)
    net.reset_state()
    return net


def bench_dir(outdir, lib):
    return os.path.join(outdir, f"{lib}_cnn")


def bench(outdir, libs=("norse", "sinabs"), density=BENCH_DENSITY):
    """Export each library's CNN at B = 16, T = 100 to OUTDIR/{lib}_cnn with its input
    (`input_0.05.npy`), and record the spike rate of every IF layer in meta.json."""
    for lib in libs:
        d = bench_dir(outdir, lib)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        net, x = bench_net(lib), bench_input(lib, density)
        gf.export_norse(net, x, d, ["x"], ["spikes"])
        np.save(os.path.join(d, f"input_{density:g}.npy"), x.numpy())
        _, seqs, _, _ = spec_forward(lib, params(lib, bench_seed(lib)), x, BENCH_DIMS["B"])
        rates = dict(zip(["if1", "if2", "if3", "if4", "spikes"],
                         [float((s > 0).float().mean()) for s in seqs]))
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump({"network": DESCRIPTIONS[lib], "dims": BENCH_DIMS, "density": density,
                       "seed": bench_seed(lib), "spike_rates": rates, "inputs": ["x"],
                       "outputs": ["spikes"]}, f, indent=2)
        print(f"wrote {d}: spike rates {rates}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["norse", "sinabs"])
    ap.add_argument("--bench", metavar="OUTDIR",
                    help="only export the B=16, T=100 benchmark models to OUTDIR/{lib}_cnn")
    a = ap.parse_args()
    if a.bench:
        bench(a.bench, (a.only,) if a.only else ("norse", "sinabs"))
        return
    os.makedirs(CNN, exist_ok=True)
    for lib, base in (("norse", 100), ("sinabs", 200)):
        if a.only in (None, lib):
            gen(lib, base)


if __name__ == "__main__":
    main()
