#!/usr/bin/env python3
"""Generate the IF-family library-export fixtures under models/family/ (see models/README.md).

    python models/generate_family.py                 # regenerates every fixture in models/family/
    python models/generate_family.py --bench models/bench/family  # N-MNIST-sized exports
                                                     # (not committed; scripts/family_peers.py)

The network of every fixture is Linear(20->32) -> IF -> Linear(32->10) -> IF, B = 4, T = 16
(plus T = 8 / 32 copies with the same weights), written the way each library's users write it:

* SpikingJelly 2.0.0: `neuron.IFNode` (hard/soft reset, detach_reset False/True), step_mode 's'
  in a Python loop over T and step_mode 'm' (multi-step); `functional.reset_net` before each run.
* snnTorch 1.0.0: `snn.Leaky(beta=1.0, reset_mechanism=...)` ("subtract", "zero", "none"), and
  `snn.RLeaky(beta=1.0, linear_features=32, all_to_all=True)` as the hidden layer of a recurrent
  variant; the tutorial loop with `init_leaky()` / `init_rleaky()`.
* sinabs 3.1.3: `sinabs.layers.IAF` (MultiSpike/SingleSpike, MembraneSubtract/MembraneReset) on a
  batch-major [B, T, N] input, and `sinabs.layers.IAFRecurrent` (rec_connect = nn.Linear) as the
  hidden layer of a recurrent variant; `reset_states()` before each run.

Outputs and gradients come from the library itself (float32 forward; gradients from the library's
own autograd). An independent implementation of SPEC section 1.1 (`family_forward` below, with
the SPEC surrogate table) must reproduce the library's forward exactly and its gradients (this is
the numerical check of each surrogate mapping), and onnxruntime must reproduce the library's
outputs from model.onnx. Any mismatch stops the script with an error.

Everything is seeded; rerunning reproduces the same files.
"""

import argparse
import json
import math
import os
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# generate_fixtures.py only runs its generator under `if __name__ == "__main__"`; importing it
# gives its helpers (and sets torch to deterministic, single-threaded mode).
import generate_fixtures as gf  # noqa: E402

import sinabs  # noqa: E402
import sinabs.activation as sa  # noqa: E402
import sinabs.layers as sl  # noqa: E402
import snntorch  # noqa: E402
import snntorch as snn  # noqa: E402
import snntorch.surrogate as snn_surrogate  # noqa: E402
import spikingjelly  # noqa: E402
from spikingjelly.activation_based import functional as sj_functional  # noqa: E402
from spikingjelly.activation_based import layer as sj_layer  # noqa: E402
from spikingjelly.activation_based import neuron as sj_neuron  # noqa: E402
from spikingjelly.activation_based import surrogate as sj_surrogate  # noqa: E402

FAMILY = os.path.join(HERE, "family")
I, H, O, B, T = 20, 32, 10, 4, 16
TS_EXTRA = (8, 32)
MIN_MARGIN = gf.MIN_MARGIN
RATE_RANGE = gf.RATE_RANGE
HIDDEN_RATE_RANGE = gf.HIDDEN_RATE_RANGE
F32 = np.float32

SUMMARY = []


def lib_version(mod):
    import importlib.metadata as md
    return md.version(mod)


VERSIONS = {"spikingjelly": lib_version("spikingjelly"), "snntorch": lib_version("snntorch"),
            "sinabs": lib_version("sinabs")}


# ----------------------------------------------------------------------------------------------
# Independent SPEC section 1.1 implementation (integrate_then_fire, every family choice)
# ----------------------------------------------------------------------------------------------

def spec_deriv(method, a, s):
    """The SPEC surrogate table: d Theta / ds replaced by ..."""
    if method == "super":
        return 1.0 / (a * s.abs() + 1.0) ** 2
    if method == "atan":
        return (a / 2.0) / (1.0 + (math.pi / 2.0 * a * s) ** 2)
    if method == "sigmoid":
        # a*sigma(as)*(1 - sigma(as)), written without the cancellation of 1 - sigma
        return a * torch.sigmoid(a * s) * torch.sigmoid(-a * s)
    if method == "exp":
        return a * torch.exp(-a * s.abs())
    raise ValueError(method)


class SpecSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v_hat, v_th, threshold, spikes, method, alpha):
        s = v_hat - v_th
        ctx.save_for_backward(s)
        ctx.method, ctx.alpha = method, alpha
        if spikes == "multi":
            return (v_hat > 0).to(v_hat.dtype) * torch.trunc(v_hat / v_th)
        if threshold == "gt":
            return (s > 0).to(v_hat.dtype)
        return (s >= 0).to(v_hat.dtype)

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * spec_deriv(ctx.method, ctx.alpha, s), None, None, None, None, None


def spec_layer(cur, cfg, surrogate, rec=None):
    """One IF layer over time-major currents cur [T,B,N]. rec = (R, b_rec, fold_first_bias):
    I_t = cur_t + z_{t-1} R^T + b_rec (snnTorch RLeaky, sinabs IAFRecurrent); with
    cfg["rec_first"] == "zero" (sinabs) the recurrent term of t = 0 is 0, bias included.
    Returns z [T,B,N], v_T (after reset),
    v_hat_T (before reset), list of Theta arguments s_t, list of the multi-spike margins."""
    method, alpha = surrogate
    v_th = 1.0
    v = torch.zeros_like(cur[0]) + cfg["v0"]
    z_prev = torch.zeros_like(cur[0])
    zs, ss, margins = [], [], []
    v_hat = None
    for t in range(cur.shape[0]):
        i_t = cur[t]
        if rec is not None:
            R, b_rec, fold_first = rec
            if t == 0 and cfg.get("rec_first") == "zero":
                pass
            elif t == 0 and fold_first:
                # the exporter folds z_{-1} = 0 into a constant: b_rec's t=0 path is gone
                i_t = i_t + z_prev @ R.T + b_rec.detach()
            else:
                i_t = i_t + z_prev @ R.T + b_rec
        v_hat = v + i_t
        z = SpecSpike.apply(v_hat, v_th, cfg["threshold"], cfg["spikes"], method, alpha)
        s = v_hat - v_th
        ss.append(s)
        if cfg["spikes"] == "multi":
            # discontinuities of [v>0]*trunc(v/v_th) are at v = k*v_th, k >= 1
            k = torch.clamp(torch.round(v_hat.detach() / v_th), min=1.0)
            margins.append((v_hat.detach() - k * v_th).abs())
        else:
            margins.append(s.detach().abs())
        zr = z.detach() if cfg["reset_grad"] == "detached" else z
        if cfg["reset"] == "value":
            v = (1 - zr) * v_hat + zr * cfg["v_reset"]
        elif cfg["reset"] == "subtract":
            v = v_hat - zr * v_th
        else:
            v = v_hat
        zs.append(z)
        z_prev = z
    return torch.stack(zs), v, v_hat, ss, margins


def family_forward(P, x, cfg, surrogate, fold_first_bias=False):
    """The fixture network in SPEC terms. P: {torch parameter name: tensor}; x in the library's
    layout. Returns ({output name: tensor}, margins list, {hidden name: spikes})."""
    xt = x.transpose(0, 1) if cfg["layout"] == "batch_major" else x
    c1 = xt @ P["fc1.weight"].T + P["fc1.bias"]
    rec = None
    for r in ("lif1.recurrent", "iaf1.rec_connect"):
        if f"{r}.weight" in P:
            rec = (P[f"{r}.weight"], P[f"{r}.bias"], fold_first_bias)
    z1, _, _, _, m1 = spec_layer(c1, cfg, surrogate, rec)
    c2 = z1 @ P["fc2.weight"].T + P["fc2.bias"]
    z2, v2, vh2, _, m2 = spec_layer(c2, cfg, surrogate)
    if cfg["layout"] == "batch_major":
        z2 = z2.transpose(0, 1)
        z1 = z1.transpose(0, 1)
    mem = vh2 if cfg["mem"] == "before_reset" else v2
    return {"spikes": z2, cfg["mem_output"]: mem}, m1 + m2, {"hidden": z1}


def margin_of(ms):
    return min(float(m.min()) for m in ms)


def rate_of(z):
    return float((z > 0).double().mean())


def acceptable(sd, xs, cfg):
    for x in xs:
        for dt in (torch.float32, torch.float64):
            P = {k: v.to(dt) for k, v in sd.items()}
            out, ms, hidden = family_forward(P, x.to(dt), cfg, ("super", 1.0))
            if margin_of(ms) < MIN_MARGIN:
                return False
            if not RATE_RANGE[0] <= rate_of(out["spikes"]) <= RATE_RANGE[1]:
                return False
            if not HIDDEN_RATE_RANGE[0] <= rate_of(hidden["hidden"]) <= HIDDEN_RATE_RANGE[1]:
                return False
            if cfg["spikes"] == "multi" and (float(out["spikes"].max()) < 2
                                             or float(hidden["hidden"].max()) < 2):
                return False
    return True


def search(base, cfg, scales, Ts=(T,), recurrent=False, tries=400, rec_name="lif1.recurrent"):
    """First seed >= base whose weights and inputs (every T in Ts; each x a prefix of the longest)
    give margins >= MIN_MARGIN, spike rates in range (and multi-spikes where asked)."""
    xm, xs_, w1, b1, w2, b2 = scales
    for seed in range(base, base + tries):
        g = torch.Generator().manual_seed(seed)
        sd = {"fc1.weight": torch.randn(H, I, generator=g) * w1,
              "fc1.bias": b1 + 0.1 * torch.randn(H, generator=g)}
        if recurrent:
            sd[f"{rec_name}.weight"] = torch.randn(H, H, generator=g) * 0.15
            sd[f"{rec_name}.bias"] = 0.05 * torch.randn(H, generator=g)
        sd["fc2.weight"] = torch.randn(O, H, generator=g) * w2
        sd["fc2.bias"] = b2 + 0.1 * torch.randn(O, generator=g)
        xlong = xm + xs_ * torch.randn(max(Ts), B, I, generator=g)
        xs = [xlong[:t].clone() for t in Ts]
        if cfg["layout"] == "batch_major":
            xs = [x.transpose(0, 1).contiguous() for x in xs]
        if acceptable(sd, xs, cfg):
            return seed, sd, xs
    raise RuntimeError(f"no acceptable seed in [{base}, {base + tries}) for {cfg}")


# ----------------------------------------------------------------------------------------------
# The networks, as each library's users write them
# ----------------------------------------------------------------------------------------------

class SJNet(torch.nn.Module):
    """SpikingJelly: layer.Linear -> neuron.IFNode -> layer.Linear -> neuron.IFNode."""

    def __init__(self, v_reset, detach_reset, surrogate_function, step_mode):
        super().__init__()
        self.step_mode = step_mode
        self.fc1 = sj_layer.Linear(I, H, step_mode=step_mode)
        self.sn1 = sj_neuron.IFNode(v_reset=v_reset, surrogate_function=surrogate_function,
                                    detach_reset=detach_reset, step_mode=step_mode)
        self.fc2 = sj_layer.Linear(H, O, step_mode=step_mode)
        self.sn2 = sj_neuron.IFNode(v_reset=v_reset, surrogate_function=surrogate_function,
                                    detach_reset=detach_reset, step_mode=step_mode)

    def reset_state(self):
        sj_functional.reset_net(self)

    def forward(self, x):
        if self.step_mode == "s":
            zs = []
            for t in range(x.shape[0]):
                zs.append(self.sn2(self.fc2(self.sn1(self.fc1(x[t])))))
            return torch.stack(zs), self.sn2.v
        return self.sn2(self.fc2(self.sn1(self.fc1(x)))), self.sn2.v


class SnnTorchNet(torch.nn.Module):
    """snnTorch tutorial loop: Linear -> Leaky (or RLeaky) -> Linear -> Leaky."""

    def __init__(self, reset_mechanism, spike_grad, recurrent=False):
        super().__init__()
        self.recurrent = recurrent
        self.fc1 = torch.nn.Linear(I, H)
        if recurrent:
            self.lif1 = snn.RLeaky(beta=1.0, linear_features=H, all_to_all=True,
                                   spike_grad=spike_grad, reset_mechanism=reset_mechanism)
        else:
            self.lif1 = snn.Leaky(beta=1.0, spike_grad=spike_grad,
                                  reset_mechanism=reset_mechanism)
        self.fc2 = torch.nn.Linear(H, O)
        self.lif2 = snn.Leaky(beta=1.0, spike_grad=spike_grad, reset_mechanism=reset_mechanism)

    def reset_state(self):
        pass  # the tutorial loop initialises the state in forward

    def forward(self, x):
        if self.recurrent:
            spk1, mem1 = self.lif1.init_rleaky()
        else:
            mem1 = self.lif1.init_leaky()
        mem2 = self.lif2.init_leaky()
        spk2_rec = []
        for step in range(x.shape[0]):
            cur1 = self.fc1(x[step])
            if self.recurrent:
                spk1, mem1 = self.lif1(cur1, spk1, mem1)
            else:
                spk1, mem1 = self.lif1(cur1, mem1)
            cur2 = self.fc2(spk1)
            spk2, mem2 = self.lif2(cur2, mem2)
            spk2_rec.append(spk2)
        return torch.stack(spk2_rec), mem2


class SinabsNet(torch.nn.Module):
    """sinabs: nn.Sequential(Linear, IAF, Linear, IAF) on [B, T, N]."""

    def __init__(self, spike_fn, reset_fn, surrogate_grad_fn):
        super().__init__()
        self.fc1 = torch.nn.Linear(I, H)
        self.iaf1 = sl.IAF(spike_fn=spike_fn, reset_fn=reset_fn,
                           surrogate_grad_fn=surrogate_grad_fn)
        self.fc2 = torch.nn.Linear(H, O)
        self.iaf2 = sl.IAF(spike_fn=spike_fn, reset_fn=reset_fn,
                           surrogate_grad_fn=surrogate_grad_fn)

    def reset_state(self):
        self.iaf1.reset_states()
        self.iaf2.reset_states()

    def forward(self, x):
        return self.iaf2(self.fc2(self.iaf1(self.fc1(x)))), self.iaf2.v_mem


class SinabsRecNet(SinabsNet):
    """sinabs: Linear -> IAFRecurrent(rec_connect=Linear(H, H)) -> Linear -> IAF on [B, T, N]."""

    def __init__(self, spike_fn, reset_fn, surrogate_grad_fn):
        super().__init__(spike_fn, reset_fn, surrogate_grad_fn)
        self.iaf1 = sl.IAFRecurrent(rec_connect=torch.nn.Linear(H, H), spike_fn=spike_fn,
                                    reset_fn=reset_fn, surrogate_grad_fn=surrogate_grad_fn)


# ----------------------------------------------------------------------------------------------
# Fixture writer
# ----------------------------------------------------------------------------------------------

def fresh(name):
    d = os.path.join(FAMILY, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def run_net(net, x):
    net.reset_state()
    return net(x)


def try_double(build, key, sd):
    """The library network in float64 if the library runs in float64, else None."""
    net = build(key)
    net.load_state_dict(sd, strict=False)
    net = net.double()
    try:
        with torch.no_grad():
            outs = run_net(net, torch.zeros(3, 2, I, dtype=torch.float64))
        if any(o.dtype != torch.float64 for o in outs):
            return None
    except RuntimeError:
        return None
    return net


def library_grads(build, key, sd, x, gouts, output_names, trainable):
    """Gradient of sum(gout * out) w.r.t. x and every trainable parameter, from the library's
    own autograd: float64 where the library runs in float64, and float32 always."""
    res = {}
    for dtype in (torch.float64, torch.float32):
        if dtype == torch.float64:
            net = try_double(build, key, sd)
            if net is None:
                continue
        else:
            net = build(key)
            net.load_state_dict(sd, strict=False)
        xg = x.to(dtype).clone().requires_grad_(True)
        outs = run_net(net, xg)
        torch.autograd.backward(list(outs), [torch.from_numpy(gouts[k]).to(dtype)
                                             for k in output_names])
        params = dict(net.named_parameters())
        g = {"x": xg.grad.detach().double().numpy()}
        for k in trainable:
            p = params[k]
            g[k] = (p.grad.detach().double().numpy() if p.grad is not None
                    else np.zeros(tuple(p.shape)))
        res[dtype] = (g, [o.detach() for o in outs])
    return res


def folded_params(model, sd, trainable):
    """Non-parameter float initializers that equal a trainable parameter broadcast to a larger
    shape (the exporter folded a parameter into a constant): {initializer: parameter}."""
    vals = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer
            if i.data_type == TensorProto.FLOAT}
    out = {}
    for n, v in vals.items():
        if v.ndim < 2:
            continue
        for k in trainable:
            pv = sd[k].numpy()
            if pv.ndim == 1 and v.shape[-1] == pv.shape[0] and np.array_equal(
                    v, np.broadcast_to(pv, v.shape)) and np.any(pv != 0):
                out[n] = k
    return out


def family_fixture(name, lib, variant, description, build, default_key, sd, x, cfg, choices,
                   grad_specs, seed, output_names, with_grads=True, extra=None):
    d = fresh(name)
    Tn = x.shape[1] if cfg["layout"] == "batch_major" else x.shape[0]

    # ---- library forward (float32) and export
    net = build(default_key)
    net.load_state_dict(sd, strict=False)
    with torch.no_grad():
        outs = run_net(net, x)
    outputs = {k: gf.to_np(t) for k, t in zip(output_names, outs)}
    net.reset_state()
    model = gf.export_norse(net, x, d, ["x"], output_names)
    ins, outs_n, inits = gf.onnx_names(model)
    assert ins == ["x"] and outs_n == list(output_names), (ins, outs_n)
    hist = gf.write_ops(d, model)
    opset = {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
    inputs = {"x": x.numpy().astype(F32)}
    gf.savez(os.path.join(d, "inputs.npz"), inputs)
    gf.savez(os.path.join(d, "outputs.npz"), outputs)
    ort_worst = gf.ort_check(d, inputs, outputs, ["spikes"])

    trainable = [k for k, p in net.named_parameters() if p.requires_grad]
    assert set(trainable) == set(sd), (trainable, list(sd))
    param_map = gf.map_params(os.path.join(d, "model.onnx"), {k: sd[k] for k in trainable})
    trainable_onnx = [param_map[k][0] for k in trainable]
    folded = folded_params(onnx.load(os.path.join(d, "model.onnx")), sd, trainable)

    # ---- the SPEC implementation must reproduce the library's forward exactly
    problems = []
    P32 = {k: v.clone() for k, v in sd.items()}
    so, ms32, hidden = family_forward(P32, x, cfg, ("super", 1.0))
    for k in output_names:
        a, b = gf.to_np(so[k]), outputs[k]
        ok = np.array_equal(a, b) if k == "spikes" else gf.pot_close(a, b)
        if not ok:
            problems.append(f"{name}: SPEC forward differs from {lib} in {k}")
    P64 = {k: v.double() for k, v in sd.items()}
    so64, ms64, _ = family_forward(P64, x.double(), cfg, ("super", 1.0))
    if not np.array_equal(gf.to_np(so64["spikes"]), outputs["spikes"]):
        problems.append(f"{name}: float64 spikes flip")
    margin = min(margin_of(ms32), margin_of(ms64))
    rates = {"spikes": rate_of(so["spikes"])}
    hidden_rates = {"hidden": rate_of(hidden["hidden"])}
    max_count = {"spikes": float(outputs["spikes"].max()),
                 "hidden": float(hidden["hidden"].max())}

    grads_meta, grad_report = [], []
    if with_grads:
        rng = np.random.default_rng(seed + 1000)
        gouts = {k: rng.standard_normal(v.shape).astype(F32) for k, v in outputs.items()}
        gf.savez(os.path.join(d, "grad_outputs.npz"), gouts)
        for fname, key, (method, alpha), lib_surrogate in grad_specs:
            res = library_grads(build, key, sd, x, gouts, output_names, trainable)
            dtype = torch.float64 if torch.float64 in res else torch.float32
            g, louts = res[dtype]
            for k, t in zip(output_names, louts):
                if k == "spikes":
                    assert np.array_equal(gf.to_np(t), outputs["spikes"]), f"{name}: {dtype} flip"
            f32_vs_f64 = (max(gf.rel_err(res[torch.float32][0][k], g[k]) for k in g)
                          if dtype == torch.float64 else None)
            # SPEC gradient (float64) with the mapped surrogate: the numerical check of the mapping
            def spec_grad(fold):
                PP = {k: v.double().clone().requires_grad_(True) for k, v in sd.items()}
                xx = x.double().clone().requires_grad_(True)
                oo, _, _ = family_forward(PP, xx, cfg, (method, alpha), fold_first_bias=fold)
                torch.autograd.backward([oo[k] for k in output_names],
                                        [torch.from_numpy(gouts[k]).double()
                                         for k in output_names])
                return {"x": xx.grad.numpy(), **{k: v.grad.numpy() for k, v in PP.items()}}
            sg = spec_grad(False)
            spec_err = max(gf.rel_err(sg[k], g[k]) for k in g)
            tol = 1e-6 if dtype == torch.float64 else 2e-5
            if spec_err > tol:
                problems.append(f"{name}/{fname}: SPEC {method}:{alpha:g} vs {lib} "
                                f"{lib_surrogate} gradient rel err {spec_err:.3e}")
            grads = {}
            for k, v in g.items():
                if k == "x":
                    grads["x"] = v
                else:
                    on, tr = param_map[k]
                    grads[on] = v.T if tr else v
            entry = {"file": fname, "surrogate": f"{method}:{alpha:g}",
                     "reset_grad": choices["reset_grad"], "library_surrogate": lib_surrogate,
                     "dtype": ("float64 (stored as float32)" if dtype == torch.float64 else
                               "float32 (the library does not run in float64)"),
                     "source": f"{lib} {VERSIONS[lib]} autograd",
                     "spec_vs_library_rel_err": spec_err}
            if f32_vs_f64 is not None:
                entry["library_float32_vs_float64_rel_err"] = f32_vs_f64
            if folded:
                # the exporter folded a parameter's first-step path into a constant: the ONNX
                # graph cannot reproduce that part of the library's gradient. grads_*.npz holds
                # the gradient of the graph (SPEC implementation with that path cut, which
                # matches the library everywhere else), library_grads_*.npz the library's own.
                gf.savez(os.path.join(d, "library_" + fname), grads)
                sgf = spec_grad(True)
                differ = {}
                for init, pk in folded.items():
                    on, tr = param_map[pk]
                    grads[on] = sgf[pk]
                    differ[on] = gf.rel_err(sgf[pk], g[pk])
                for k in g:
                    if k not in folded.values():
                        e = gf.rel_err(sgf[k], g[k])
                        if e > tol:
                            problems.append(f"{name}/{fname}: folded SPEC gradient of {k} "
                                            f"differs from {lib}: {e:.2e}")
                entry["differs_from_library"] = differ
                entry["library_file"] = "library_" + fname
                entry["folded_constants"] = folded
                entry["source"] += (" except " + ", ".join(differ) + " (gradient of the ONNX "
                                    "graph, see library_file)")
            gf.check_grad_keys(model, grads)
            gf.savez(os.path.join(d, fname), grads)
            grads_meta.append(entry)
            grad_report.append((fname, entry["surrogate"], spec_err, f32_vs_f64))

    meta = {
        "name": name, "description": description, "kind": "library_export", "library": lib,
        "library_version": VERSIONS[lib], "variant": variant,
        "order": "integrate_then_fire", **choices,
        "T": int(Tn), "B": B, "inputs": ins, "outputs": outs_n, "spike_outputs": ["spikes"],
        "grads": grads_meta, "min_margin": margin, "spike_rates": rates,
        "hidden_spike_rates": hidden_rates, "max_spike_count": max_count,
        "opset": opset, "ir_version": model.ir_version,
        "initializers": {k: list(v[0]) for k, v in inits.items()},
        "trainable_initializers": trainable_onnx,
        "torch_parameters": {k: {"onnx_initializer": v[0], "transposed": v[1]}
                             for k, v in param_map.items()},
        "v_th": 1.0, "v_reset": 0.0, "seed": seed,
        "generator": {"torch": torch.__version__.split("+")[0], lib: VERSIONS[lib],
                      "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }
    if extra:
        meta.update(extra)
    if not with_grads:
        meta["note"] = "model, inputs and outputs only (no gradients): for the T-independence test"
    gf.write_meta(d, meta)
    SUMMARY.append({"name": name, "ops": hist, "rates": rates, "hidden": hidden_rates,
                    "margin": margin, "max_count": max_count, "grads": grad_report,
                    "ort": ort_worst, "problems": problems, "folded": folded})
    if problems:
        raise AssertionError("\n".join(problems))


# ----------------------------------------------------------------------------------------------
# The fixtures
# ----------------------------------------------------------------------------------------------

def sj_surrogates():
    return {"sigmoid": sj_surrogate.Sigmoid(), "atan": sj_surrogate.ATan(),
            "softsign": sj_surrogate.SoftSign(alpha=2.0)}


SJ_GRADS = {
    "sigmoid": ("grads_sigmoid.npz", "sigmoid", ("sigmoid", 4.0), "surrogate.Sigmoid() (alpha=4)"),
    "atan": ("grads_atan.npz", "atan", ("atan", 2.0), "surrogate.ATan() (alpha=2)"),
    "softsign": ("grads_super.npz", "softsign", ("super", 2.0), "surrogate.SoftSign(alpha=2)"),
}


def gen_spikingjelly():
    lib = "spikingjelly"
    variants = [
        # name, v_reset, detach_reset, step_mode, grads
        ("sj_hard_s", 0.0, False, "s", ["sigmoid", "atan", "softsign"]),
        ("sj_hard_detach_s", 0.0, True, "s", ["sigmoid"]),
        ("sj_soft_s", None, False, "s", ["sigmoid", "softsign"]),
        ("sj_soft_detach_s", None, True, "s", ["sigmoid"]),
        ("sj_hard_m", 0.0, False, "m", ["sigmoid", "atan"]),
        ("sj_soft_detach_m", None, True, "m", ["sigmoid"]),
    ]
    for i, (name, v_reset, detach, mode, gkeys) in enumerate(variants):
        hard = v_reset is not None
        choices = {"threshold": "ge", "reset": "value" if hard else "subtract",
                   "reset_grad": "detached" if detach else "attached", "spikes": "single",
                   "layout": "time_major", "initial_potential": 0.0,
                   "initial_potential_note": ("v_reset (0.0): hard reset" if hard else
                                              "0.0: soft reset")}
        cfg = {"threshold": "ge", "reset": choices["reset"], "reset_grad": choices["reset_grad"],
               "spikes": "single", "layout": "time_major", "v0": 0.0, "v_reset": 0.0,
               "mem": "after_reset", "mem_output": "v_final"}

        def build(key, v_reset=v_reset, detach=detach, mode=mode):
            return SJNet(v_reset, detach, sj_surrogates()[key], mode)

        Ts = (T, *TS_EXTRA) if name == "sj_hard_s" else (T,)
        scales = (0.25, 1.0, 0.25, 0.1, 0.45, 0.05)
        seed, sd, xs = search(1000 + 100 * i, cfg, scales, Ts)
        desc = (f"SpikingJelly {VERSIONS[lib]}: layer.Linear({I}->{H}) -> neuron.IFNode(v_reset="
                f"{v_reset}, detach_reset={detach}, step_mode='{mode}') -> layer.Linear({H}->{O})"
                f" -> IFNode(same); " + ("Python loop over T (step_mode 's')" if mode == "s"
                                         else "multi-step on the whole [T,B,N] sequence")
                + "; functional.reset_net before each run. Outputs: spikes [T,B,O] and the "
                "last IFNode's v after the last step (after its reset).")
        extra = {"step_mode": mode, "mem_output": {"name": "v_final", "is": "sn2.v after the "
                                                   "last step, after the reset (SPEC v_T)"}}
        family_fixture(name, lib, f"IFNode(v_reset={v_reset}, detach_reset={detach}), "
                       f"step_mode='{mode}'", desc, build, "sigmoid", sd, xs[0], cfg, choices,
                       [SJ_GRADS[k] for k in gkeys], seed, ["spikes", "v_final"], extra=extra)
        for Tx, x in zip(Ts[1:], xs[1:]):
            family_fixture(f"sj_hard_s_t{Tx}", lib, f"IFNode(v_reset={v_reset}, detach_reset="
                           f"{detach}), step_mode='{mode}'",
                           f"The network of sj_hard_s (same weights) over T={Tx}; x is a prefix "
                           f"of the T={max(Ts)} input.", build, "sigmoid", sd, x, cfg, choices,
                           [], seed, ["spikes", "v_final"], with_grads=False, extra=extra)


SNT_GRADS = {
    "atan": ("grads_atan.npz", "atan", ("atan", 2.0), "surrogate.atan() (alpha=2, the default)"),
    "fast_sigmoid": ("grads_super.npz", "fast_sigmoid", ("super", 25.0),
                     "surrogate.fast_sigmoid(slope=25)"),
    "sigmoid": ("grads_sigmoid.npz", "sigmoid", ("sigmoid", 25.0),
                "surrogate.sigmoid() (slope=25)"),
}


def snt_surrogate(key):
    return {"atan": snn_surrogate.atan(), "fast_sigmoid": snn_surrogate.fast_sigmoid(slope=25),
            "sigmoid": snn_surrogate.sigmoid()}[key]


def gen_snntorch():
    lib = "snntorch"
    variants = [
        # name, reset_mechanism, recurrent, grads, scales
        # (no network gradients for surrogate.sigmoid(): in float32 its backward,
        # exp(-k s) / (exp(-k s) + 1)^2, is inf/inf = NaN for s < -88.7/k; see surrogates.json)
        ("snntorch_leaky_subtract", "subtract", False, ["atan", "fast_sigmoid"],
         (0.25, 1.0, 0.25, 0.1, 0.45, 0.05)),
        ("snntorch_leaky_zero", "zero", False, ["atan"], (0.25, 1.0, 0.25, 0.1, 0.45, 0.05)),
        ("snntorch_leaky_none", "none", False, ["atan"], (0.0, 1.0, 0.15, 0.0, 0.25, 0.0)),
        ("snntorch_rleaky_subtract", "subtract", True, ["atan", "fast_sigmoid"],
         (0.25, 1.0, 0.25, 0.1, 0.45, 0.05)),
    ]
    for i, (name, mech, rec, gkeys, scales) in enumerate(variants):
        reset = {"subtract": "subtract", "zero": "value", "none": "none"}[mech]
        choices = {"threshold": "gt", "reset": reset, "reset_grad": "detached",
                   "spikes": "single", "layout": "time_major", "initial_potential": 0.0}
        cfg = {"threshold": "gt", "reset": reset, "reset_grad": "detached", "spikes": "single",
               "layout": "time_major", "v0": 0.0, "v_reset": 0.0, "mem": "before_reset",
               "mem_output": "mem"}

        def build(key, mech=mech, rec=rec):
            return SnnTorchNet(mech, snt_surrogate(key), rec)

        Ts = (T, *TS_EXTRA) if name == "snntorch_leaky_subtract" else (T,)
        seed, sd, xs = search(2000 + 100 * i, cfg, scales, Ts, recurrent=rec)
        cell = (f"snn.RLeaky(beta=1.0, linear_features={H}, all_to_all=True, reset_mechanism="
                f"'{mech}')" if rec else f"snn.Leaky(beta=1.0, reset_mechanism='{mech}')")
        desc = (f"snnTorch {VERSIONS[lib]}: nn.Linear({I}->{H}) -> {cell} -> nn.Linear({H}->{O})"
                f" -> snn.Leaky(beta=1.0, reset_mechanism='{mech}'), the tutorial loop over T "
                "with init_leaky()/init_rleaky(). Outputs: spikes [T,B,O] and the last layer's "
                "mem after the last step, which snnTorch exposes BEFORE the reset (SPEC v-hat_T).")
        extra = {"reset_mechanism": mech, "beta": 1.0,
                 "mem_output": {"name": "mem", "is": "lif2's mem after the last step: the "
                                "potential BEFORE the reset (v-hat_T = v_{T-1} + I_T); the reset "
                                "of step t is applied at step t+1 from a detached Theta(mem_{t-1}"
                                " - threshold)"}}
        if rec:
            extra["recurrent"] = ("I_t = fc1(x_t) + recurrent(spk_{t-1}) with recurrent = "
                                  f"nn.Linear({H},{H}) WITH bias (added at every step, also at t=0"
                                  " where spk_{-1} = 0); gradients flow through spk_{t-1}")
        family_fixture(name, lib, cell, desc, build, "atan", sd, xs[0], cfg, choices,
                       [SNT_GRADS[k] for k in gkeys], seed, ["spikes", "mem"], extra=extra)
        for Tx, x in zip(Ts[1:], xs[1:]):
            family_fixture(f"{name}_t{Tx}", lib, cell,
                           f"The network of {name} (same weights) over T={Tx}; x is a prefix of "
                           f"the T={max(Ts)} input.", build, "atan", sd, x, cfg, choices, [],
                           seed, ["spikes", "mem"], with_grads=False, extra=extra)


SIN_GRADS = {
    "exp": ("grads_exp.npz", "exp", ("exp", 2.0),
            "SingleExponential() (grad_width=0.5, grad_scale=1): alpha = 1/(0.5*v_th)"),
    "exp_w025": ("grads_exp_4.npz", "exp_w025", ("exp", 4.0),
                 "SingleExponential(grad_width=0.25): alpha = 1/(0.25*v_th)"),
}


def sin_surrogate(key):
    return {"exp": sa.SingleExponential(),
            "exp_w025": sa.SingleExponential(grad_width=0.25)}[key]


def check_surrogates():
    """Each library surrogate's backward on a grid of s, in float64 and float32, against the SPEC
    table formula it maps to. Writes family/surrogates.json."""
    s64 = torch.linspace(-4.0, 4.0, 801, dtype=torch.float64)
    rows = []

    def grad_of(fn, s):
        s = s.clone().requires_grad_(True)
        fn(s).sum().backward()
        return s.grad.double()

    cases = [
        ("spikingjelly", "surrogate.Sigmoid()", lambda s: sj_surrogate.Sigmoid()(s),
         ("sigmoid", 4.0)),
        ("spikingjelly", "surrogate.ATan()", lambda s: sj_surrogate.ATan()(s), ("atan", 2.0)),
        ("spikingjelly", "surrogate.SoftSign(alpha=2)",
         lambda s: sj_surrogate.SoftSign(alpha=2.0)(s), ("super", 2.0)),
        ("snntorch", "surrogate.atan()", lambda s: snn_surrogate.atan()(s), ("atan", 2.0)),
        ("snntorch", "surrogate.fast_sigmoid(slope=25)",
         lambda s: snn_surrogate.fast_sigmoid(slope=25)(s), ("super", 25.0)),
        ("snntorch", "surrogate.sigmoid() (slope=25)", lambda s: snn_surrogate.sigmoid()(s),
         ("sigmoid", 25.0)),
        ("sinabs", "SingleExponential() with SingleSpike, v_th=1",
         lambda s: sa.SingleSpike.apply(s + 1.0, torch.tensor(1.0, dtype=s.dtype),
                                        sa.SingleExponential()), ("exp", 2.0)),
        ("sinabs", "SingleExponential(grad_width=0.25) with MultiSpike, v_th=1",
         lambda s: sa.MultiSpike.apply(s + 1.0, torch.tensor(1.0, dtype=s.dtype),
                                       sa.SingleExponential(grad_width=0.25)), ("exp", 4.0)),
        ("sinabs", "SingleExponential() with SingleSpike, v_th=2 (s = v - 2)",
         lambda s: sa.SingleSpike.apply(s + 2.0, torch.tensor(2.0, dtype=s.dtype),
                                        sa.SingleExponential()), ("exp", 1.0)),
    ]
    for lib, what, fn, (method, alpha) in cases:
        ref = spec_deriv(method, alpha, s64)
        row = {"library": lib, "surrogate": what, "spec": f"{method}:{alpha:g}"}
        for dt in (torch.float64, torch.float32):
            g = grad_of(fn, s64.to(dt))
            tag = "float64" if dt == torch.float64 else "float32"
            finite = bool(torch.isfinite(g).all())
            row[f"{tag}_max_err"] = (float((g - ref).abs().max() / ref.abs().max())
                                     if finite else None)
            if not finite:
                bad = s64[~torch.isfinite(g)]
                row[f"{tag}_non_finite"] = (f"{int(bad.numel())} of {s64.numel()} points, "
                                            f"s in [{float(bad.min()):g}, {float(bad.max()):g}]")
        ok64 = row["float64_max_err"] is not None and row["float64_max_err"] < 1e-12
        row["maps"] = ok64
        assert ok64, f"surrogate mapping fails: {row}"
        rows.append(row)
    # the general SoftSign(alpha) is (alpha/2) * super:alpha, so SoftSign maps to super only at 2
    g = grad_of(lambda s: sj_surrogate.SoftSign(alpha=4.0)(s), s64)
    r = float((g / spec_deriv("super", 4.0, s64)).mean())
    rows.append({"library": "spikingjelly", "surrogate": "surrogate.SoftSign(alpha=4)",
                 "note": f"= {r:g} * super:4 (SoftSign(a) = (a/2) * super:a; super:a only for "
                         "a = 2)"})
    os.makedirs(FAMILY, exist_ok=True)
    with open(os.path.join(FAMILY, "surrogates.json"), "w") as f:
        json.dump({"grid": "s = linspace(-4, 4, 801); max |library backward - SPEC formula| "
                           "/ max |SPEC formula|, in float64 and float32",
                   "checks": rows}, f, indent=2)
        f.write("\n")
    return rows


def gen_sinabs():
    lib = "sinabs"
    variants = [
        # name, spike_fn, reset_fn, grads, scales
        ("sinabs_iaf_multi_subtract", sa.MultiSpike, "subtract", ["exp", "exp_w025"],
         (0.4, 1.0, 0.45, 0.1, 0.55, 0.05)),
        ("sinabs_iaf_single_subtract", sa.SingleSpike, "subtract", ["exp"],
         (0.25, 1.0, 0.25, 0.1, 0.45, 0.05)),
        ("sinabs_iaf_single_reset", sa.SingleSpike, "reset", ["exp"],
         (0.25, 1.0, 0.25, 0.1, 0.45, 0.05)),
    ]
    for i, (name, spike_fn, rname, gkeys, scales) in enumerate(variants):
        multi = spike_fn is sa.MultiSpike
        reset = "subtract" if rname == "subtract" else "value"
        # MembraneReset computes v * (spikes == 0).float() + reset_value: no gradient through z
        rgrad = "attached" if rname == "subtract" else "detached"
        choices = {"threshold": "ge", "reset": reset, "reset_grad": rgrad,
                   "spikes": "multi" if multi else "single", "layout": "batch_major",
                   "initial_potential": 0.0}
        cfg = {"threshold": "ge", "reset": reset, "reset_grad": rgrad,
               "spikes": choices["spikes"], "layout": "batch_major", "v0": 0.0, "v_reset": 0.0,
               "mem": "after_reset", "mem_output": "v_mem"}

        def build(key, spike_fn=spike_fn, rname=rname):
            reset_fn = sa.MembraneSubtract() if rname == "subtract" else sa.MembraneReset()
            return SinabsNet(spike_fn, reset_fn, sin_surrogate(key))

        Ts = (T, *TS_EXTRA) if name == "sinabs_iaf_multi_subtract" else (T,)
        seed, sd, xs = search(3000 + 100 * i, cfg, scales, Ts)
        rfn = "MembraneSubtract()" if rname == "subtract" else "MembraneReset()"
        cell = f"sinabs.layers.IAF(spike_fn={spike_fn.__name__}, reset_fn={rfn})"
        desc = (f"sinabs {VERSIONS[lib]}: nn.Linear({I}->{H}) -> {cell} -> nn.Linear({H}->{O}) "
                f"-> IAF(same) on a batch-major input [B,T,{I}]; reset_states() before each run. "
                f"Outputs: spikes [B,T,O] and the last IAF's v_mem after the last step (after "
                f"its reset).")
        extra = {"spike_fn": spike_fn.__name__, "reset_fn": rfn,
                 "mem_output": {"name": "v_mem", "is": "iaf2.v_mem after the last step, after "
                                "the reset (SPEC v_T)"}}
        family_fixture(name, lib, cell, desc, build, "exp", sd, xs[0], cfg, choices,
                       [SIN_GRADS[k] for k in gkeys], seed, ["spikes", "v_mem"], extra=extra)
        for Tx, x in zip(Ts[1:], xs[1:]):
            family_fixture(f"{name}_t{Tx}", lib, cell,
                           f"The network of {name} (same weights) over T={Tx}; x[:, :T] is a "
                           f"prefix of the T={max(Ts)} input.", build, "exp", sd, x, cfg,
                           choices, [], seed, ["spikes", "v_mem"], with_grads=False, extra=extra)


def gen_sinabs_recurrent():
    """sinabs' IAFRecurrent as the hidden layer: rec_connect = nn.Linear(H, H) with bias, fed
    the previous step's spikes (counts for MultiSpike); its first step adds nothing (sinabs
    starts from rec_out = 0, bias included)."""
    lib = "sinabs"
    variants = [
        ("sinabs_iaf_rec_multi_subtract", sa.MultiSpike, (0.4, 1.0, 0.45, 0.1, 0.55, 0.05)),
        ("sinabs_iaf_rec_single_subtract", sa.SingleSpike, (0.25, 1.0, 0.25, 0.1, 0.45, 0.05)),
    ]
    for i, (name, spike_fn, scales) in enumerate(variants):
        multi = spike_fn is sa.MultiSpike
        choices = {"threshold": "ge", "reset": "subtract", "reset_grad": "attached",
                   "spikes": "multi" if multi else "single", "layout": "batch_major",
                   "initial_potential": 0.0}
        cfg = {"threshold": "ge", "reset": "subtract", "reset_grad": "attached",
               "spikes": choices["spikes"], "layout": "batch_major", "v0": 0.0, "v_reset": 0.0,
               "mem": "after_reset", "mem_output": "v_mem", "rec_first": "zero"}

        def build(key, spike_fn=spike_fn):
            return SinabsRecNet(spike_fn, sa.MembraneSubtract(), sin_surrogate(key))

        Ts = (T, *TS_EXTRA)
        seed, sd, xs = search(5000 + 100 * i, cfg, scales, Ts, recurrent=True,
                              rec_name="iaf1.rec_connect")
        cell = (f"sinabs.layers.IAFRecurrent(rec_connect=nn.Linear({H},{H}), "
                f"spike_fn={spike_fn.__name__}, reset_fn=MembraneSubtract())")
        desc = (f"sinabs {VERSIONS[lib]}: nn.Linear({I}->{H}) -> {cell} -> nn.Linear({H}->{O}) "
                f"-> IAF(spike_fn={spike_fn.__name__}, reset_fn=MembraneSubtract()) on a "
                f"batch-major input [B,T,{I}]; reset_states() before each run. Outputs: spikes "
                f"[B,T,O] and the last IAF's v_mem after the last step (after its reset).")
        extra = {"spike_fn": spike_fn.__name__, "reset_fn": "MembraneSubtract()",
                 "recurrent": ("I_t = fc1(x_t) + rec_connect(z_{t-1}) for t >= 1, I_0 = fc1(x_0) "
                               "(sinabs starts from rec_out = 0: no recurrent bias at t = 0); "
                               "z are spike counts for MultiSpike"),
                 "mem_output": {"name": "v_mem", "is": "iaf2.v_mem after the last step, after "
                                "the reset (SPEC v_T)"}}
        family_fixture(name, lib, cell, desc, build, "exp", sd, xs[0], cfg, choices,
                       [SIN_GRADS["exp"]], seed, ["spikes", "v_mem"], extra=extra)
        for Tx, x in zip(Ts[1:], xs[1:]):
            family_fixture(f"{name}_t{Tx}", lib, cell,
                           f"The network of {name} (same weights) over T={Tx}; x[:, :T] is a "
                           f"prefix of the T={max(Ts)} input.", build, "exp", sd, x, cfg,
                           choices, [], seed, ["spikes", "v_mem"], with_grads=False, extra=extra)


# ----------------------------------------------------------------------------------------------
# N-MNIST-sized benchmark models (not committed), mirroring scripts/peers.py's Norse model
# ----------------------------------------------------------------------------------------------

BENCH_DIMS = dict(T=100, B=16, I=2312, H=512, O=10)


def bench(outdir, density=0.05):
    """Export Linear 2312->512 -> IF -> Linear 512->10 -> IF (T=100, B=16) from SpikingJelly
    (IFNode, hard reset, step_mode 's') and snnTorch (Leaky(beta=1), reset 'zero') to
    OUTDIR/spikingjelly and OUTDIR/snntorch, with the weights and the input (5% spikes) of
    peers.py's Norse network."""
    global I, H, O
    I0, H0, O0 = I, H, O
    I, H, O = BENCH_DIMS["I"], BENCH_DIMS["H"], BENCH_DIMS["O"]
    try:
        rng = np.random.default_rng(0)
        x = (rng.random((BENCH_DIMS["T"], BENCH_DIMS["B"], I)) < density).astype(F32)
        # The weights of scripts/peers.py's Norse network (same seed, same construction), so
        # that the three exports fire alike and their times compare.
        torch.manual_seed(0)
        norse_net = gf.FFNet(I, H, O)
        for lib, make in (("spikingjelly", lambda: SJNet(0.0, False, sj_surrogate.Sigmoid(), "s")),
                          ("snntorch", lambda: SnnTorchNet("zero", snn_surrogate.atan()))):
            net = make()
            net.fc1.load_state_dict(norse_net.fc1.state_dict())
            net.fc2.load_state_dict(norse_net.fc2.state_dict())
            d = os.path.join(outdir, lib)
            if os.path.isdir(d):
                shutil.rmtree(d)
            os.makedirs(d)
            net.reset_state()
            names = ["spikes", "v_final" if lib == "spikingjelly" else "mem"]
            gf.export_norse(net, torch.from_numpy(x), d, ["x"], names)
            np.save(os.path.join(d, f"input_{density:g}.npy"), x)
            print(f"wrote {d}")
    finally:
        I, H, O = I0, H0, O0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", metavar="OUTDIR",
                    help="only export the N-MNIST-sized benchmark models to OUTDIR")
    ap.add_argument("--only", help="only the fixtures of this library (spikingjelly, snntorch, "
                    "sinabs, sinabs_recurrent)")
    a = ap.parse_args()
    if a.bench:
        bench(a.bench)
        return
    os.makedirs(FAMILY, exist_ok=True)
    if a.only is None:
        for r in check_surrogates():
            print("surrogate", r)
    for lib, fn in (("spikingjelly", gen_spikingjelly), ("snntorch", gen_snntorch),
                    ("sinabs", gen_sinabs), ("sinabs_recurrent", gen_sinabs_recurrent)):
        if a.only in (None, lib):
            fn()
    for s in SUMMARY:
        print(f"== {s['name']}: margin {s['margin']:.2e} rates {s['rates']} hidden "
              f"{s['hidden']} max count {s['max_count']} ort worst pot err {s['ort']:.1e}")
        print(f"   ops {s['ops']}")
        if s["folded"]:
            print(f"   folded constants {s['folded']}")
        for g in s["grads"]:
            print(f"   {g[0]} [{g[1]}]: SPEC-vs-library rel {g[2]:.2e}"
                  + (f", library f32-vs-f64 rel {g[3]:.2e}" if g[3] is not None else ""))
    print("fixtures written to", FAMILY)


if __name__ == "__main__":
    main()
