#!/usr/bin/env python3
"""Generate the leaky-family library-export fixtures under models/leaky/ (see models/README.md).

    python models/generate_leaky.py                   # regenerates every fixture in models/leaky/
    python models/generate_leaky.py --only norse      # only one library's fixtures
    python models/generate_leaky.py --snnc BIN [--report FILE]
                                                      # what snnc BIN makes of each fixture
    python models/generate_leaky.py --bench models/bench/leaky
                                                      # N-MNIST-sized Norse LIFCell export
                                                      # (not committed; scripts/leaky_peers.py)

The network of every fixture is Linear(20->32) -> leaky cell -> Linear(32->10) -> leaky cell (or
a leaky-integrator readout), B = 4, T = 16 (plus T = 8 / 32 copies with the same weights for one
or more fixtures per library), written the way each library's users write it:

* Norse 1.1.0: `LIFCell` (current-based: synaptic current + membrane), `LIFBoxCell` (no
  synapse), `LIFCell` -> `LICell` readout, and `LIFRecurrentCell` as the hidden layer.
* snnTorch 1.0.0: `Leaky(beta=0.9)` (reset "subtract" and "zero"), `Synaptic(alpha=0.8,
  beta=0.9)`, `RLeaky(beta=0.9, all_to_all=True)` and `RSynaptic` hidden layers.
* SpikingJelly 2.0.0: `neuron.LIFNode(tau=2.0)` with decay_input True/False, hard/soft reset,
  step_mode 's' (Python loop over T) and 'm' (multi-step).
* sinabs 3.1.3: `layers.LIF(tau_mem)` (MultiSpike / SingleSpike, norm_input), `LIF(tau_mem,
  tau_syn)`, an `ExpLeak` readout, and `LIFRecurrent(tau_mem, rec_connect=nn.Linear)` hidden
  layers; batch-major [B, T, N].

Each fixture records the SPEC section 1.2 parameters (alpha, beta, gamma, v_leak) and the
section 1.1 choices it maps to. An independent implementation of SPEC section 1.2
(`spec_cell` below, with the SPEC surrogate table) must reproduce the library's forward exactly
(spikes bit-exact, potentials 1e-5) and its gradients; onnxruntime must reproduce the library's
outputs from model.onnx. Any mismatch stops the script -- except a library behaviour that the
fixture declares as a deviation from SPEC section 1.2 (`deviation` in meta.json): then the
script checks that SPEC 1.2 as written does NOT reproduce the library and that the declared
generalisation does.

Everything is seeded; rerunning reproduces the same files.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# generate_family.py imports generate_fixtures.py (deterministic, single-threaded torch) and the
# three IF-family libraries; its helpers (library_grads, folded_params, surrogate maps) are reused.
import generate_family as gfam  # noqa: E402

gf = gfam.gf

import norse  # noqa: E402,F401
import norse.torch as nt  # noqa: E402
from norse.torch.functional.leaky_integrator import LIParameters  # noqa: E402
from norse.torch.functional.lif import LIFParameters  # noqa: E402
from norse.torch.functional.lif_box import LIFBoxParameters  # noqa: E402

sa, sl, snn, sj_functional, sj_layer, sj_neuron = (gfam.sa, gfam.sl, gfam.snn, gfam.sj_functional,
                                                   gfam.sj_layer, gfam.sj_neuron)

LEAKY = os.path.join(HERE, "leaky")
I, H, O, B, T = gfam.I, gfam.H, gfam.O, gfam.B, gfam.T  # 20, 32, 10, 4, 16
TS_EXTRA = (8, 32)
MIN_MARGIN = gf.MIN_MARGIN          # 1e-4
RATE_RANGE = (0.05, 0.50)           # every spike output and every hidden layer
F32 = np.float32

VERSIONS = dict(gfam.VERSIONS, norse=gfam.lib_version("norse"))
SUMMARY = []


# ----------------------------------------------------------------------------------------------
# Independent SPEC section 1.2 implementation
# ----------------------------------------------------------------------------------------------

def spec_deriv(method, a, s):
    """The SPEC surrogate table (the methods these fixtures use)."""
    if method == "tanh":
        return 1.0 - torch.tanh(a * s) ** 2
    return gfam.spec_deriv(method, a, s)  # super, atan, sigmoid, exp


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


def spec_cell(cur, c, surrogate, rec=None, reset_amount=None):
    """SPEC section 1.2 over time-major currents cur [T,B,N]:

        u_t = alpha u_{t-1} + I_t ;  v_hat = v_leak + beta (v_{t-1} - v_leak) + gamma u_t
        z_t, v_t from v_hat as in section 1.1 (a cell with spikes "none" outputs v_hat)

    c: the cell's resolved parameters {alpha, beta, gamma, v_leak (floats or tensors), v0, v_th,
    v_reset, threshold, reset, reset_grad, spikes}. rec = (R, b_rec or None, fold_first[,
    first_zero]): the
    recurrent current z_{t-1} R^T + b_rec is added to I_t (fold_first: the exporter folded the t=0
    term, a constant, so b_rec's t=0 path is cut; first_zero: no recurrent term at t=0, as sinabs
    computes it). reset_amount: what a `subtract` reset
    subtracts (v_th in SPEC; a declared deviation may change it). Returns z [T,B,N] (None for an
    LI cell), v_T, v_hat_T, the v_hat sequence [T,B,N], the margins list."""
    method, a = surrogate
    alpha, beta, gamma, v_leak = c["alpha"], c["beta"], c["gamma"], c["v_leak"]
    v_th = c.get("v_th", 1.0)
    amount = v_th if reset_amount is None else reset_amount
    u = torch.zeros_like(cur[0])
    v = torch.zeros_like(cur[0]) + c["v0"]
    z_prev = torch.zeros_like(cur[0])
    zs, vhs, margins = [], [], []
    v_hat = None
    for t in range(cur.shape[0]):
        i_t = cur[t]
        # rec[3] (sinabs' LIFRecurrent): the loop starts from rec_out = 0, so step 0 has no
        # recurrent term, bias included
        if rec is not None and not (t == 0 and len(rec) > 3 and rec[3]):
            R, b_rec, fold_first = rec[:3]
            r = z_prev @ R.T
            if b_rec is not None:
                r = r + (b_rec.detach() if (t == 0 and fold_first) else b_rec)
            i_t = i_t + r
        u = alpha * u + i_t
        v_hat = v_leak + beta * (v - v_leak) + gamma * u
        vhs.append(v_hat)
        if c["spikes"] == "none":
            v = v_hat
            continue
        z = SpecSpike.apply(v_hat, v_th, c["threshold"], c["spikes"], method, a)
        if c["spikes"] == "multi":
            k = torch.clamp(torch.round(v_hat.detach() / v_th), min=1.0)
            margins.append((v_hat.detach() - k * v_th).abs())
        else:
            margins.append((v_hat - v_th).detach().abs())
        zr = z.detach() if c["reset_grad"] == "detached" else z
        if c["reset"] == "value":
            v = (1 - zr) * v_hat + zr * c["v_reset"]
        elif c["reset"] == "subtract":
            v = v_hat - zr * amount
        else:
            v = v_hat
        zs.append(z)
        z_prev = z
    z_seq = torch.stack(zs) if zs else None
    return z_seq, v, v_hat, torch.stack(vhs), margins


def resolve(cell, P):
    """A cell description (values or functions of the parameter dict P) -> spec_cell's dict."""
    out = {}
    for k, v in cell.items():
        out[k] = v(P) if callable(v) else v
    return out


def leaky_forward(P, x, fx, surrogate, mode="library"):
    """The fixture network in SPEC terms. mode: "spec" = SPEC section 1.2 as written; "library" =
    with the fixture's declared deviation (what the library computes); "graph" = "library" with
    the exporter's constant folds (what model.onnx computes). Returns ({output: tensor}, margins,
    {"hidden": hidden spikes})."""
    batch = fx["layout"] == "batch_major"
    xt = x.transpose(0, 1) if batch else x
    if fx.get("input") == "norse_recurrent":
        c1 = xt @ P["lif1.input_weights"].T
    else:
        c1 = xt @ P["fc1.weight"].T + P["fc1.bias"]
    rec = None
    if fx.get("recurrent"):
        rw, rb = fx["recurrent"]
        rec = (P[rw], P[rb] if rb else None,
               mode == "graph" and rb is not None and fx.get("rec_first") != "zero",
               fx.get("rec_first") == "zero")
    dev = fx.get("deviation") if mode != "spec" else None
    cells = [resolve(c, P) for c in fx["cells"]]

    def amount(c):
        if dev and dev.get("kind") == "subtract_after_decay" and c["reset"] == "subtract":
            return c["v_th"] / c["beta"]
        return None

    z1, _, _, _, m1 = spec_cell(c1, cells[0], surrogate, rec, amount(cells[0]))
    c2 = z1 @ P["fc2.weight"].T + P["fc2.bias"]
    z2, v2, vh2, vseq2, m2 = spec_cell(c2, cells[1], surrogate, None, amount(cells[1]))

    def seq(t):
        return t.transpose(0, 1) if batch else t

    out = {}
    for name, kind in fx["outputs"]:
        out[name] = {"spikes": lambda: seq(z2), "v_final": lambda: v2,
                     "v_hat_final": lambda: vh2, "v_seq": lambda: seq(vseq2)}[kind]()
    return out, m1 + m2, {"hidden": seq(z1)}


def margin_of(ms):
    return min(float(m.min()) for m in ms) if ms else math.inf


def rate_of(z):
    return float((z > 0).double().mean())


def spike_names(fx):
    return [n for n, k in fx["outputs"] if k == "spikes"]


def acceptable(sd, xs, fx):
    for x in xs:
        for dt in (torch.float32, torch.float64):
            P = {k: v.to(dt) for k, v in sd.items()}
            out, ms, hidden = leaky_forward(P, x.to(dt), fx, ("super", 1.0))
            if margin_of(ms) < MIN_MARGIN:
                return False
            for z in [out[n] for n in spike_names(fx)] + [hidden["hidden"]]:
                if not RATE_RANGE[0] <= rate_of(z) <= RATE_RANGE[1]:
                    return False
            if fx["cells"][0]["spikes"] == "multi" and float(hidden["hidden"].max()) < 2:
                return False
            if fx["cells"][1]["spikes"] == "multi" and float(out["spikes"].max()) < 2:
                return False
    return True


def draw(seed, fx, Ts):
    """Weights {torch parameter name: tensor} and inputs (each a prefix of the longest)."""
    xm, xs_, w1, b1, w2, b2 = fx["scales"]
    g = torch.Generator().manual_seed(seed)
    sd = {}
    if fx.get("input") == "norse_recurrent":
        sd["lif1.input_weights"] = torch.randn(H, I, generator=g) * w1
    else:
        sd["fc1.weight"] = torch.randn(H, I, generator=g) * w1
        sd["fc1.bias"] = b1 + 0.1 * torch.randn(H, generator=g)
    if fx.get("recurrent"):
        rw, rb = fx["recurrent"]
        R = torch.randn(H, H, generator=g) * fx.get("rec_scale", 0.15)
        if fx.get("autapses") is False:
            R.fill_diagonal_(0.0)  # Norse's default: no self-connections
        sd[rw] = R
        if rb:
            sd[rb] = 0.05 * torch.randn(H, generator=g)
    sd["fc2.weight"] = torch.randn(O, H, generator=g) * w2
    sd["fc2.bias"] = b2 + 0.1 * torch.randn(O, generator=g)
    for k, v in fx.get("fixed_params", {}).items():
        sd[k] = torch.as_tensor(v, dtype=torch.float32).clone()
    xlong = xm + xs_ * torch.randn(max(Ts), B, I, generator=g)
    xs = [xlong[:t].clone() for t in Ts]
    if fx["layout"] == "batch_major":
        xs = [x.transpose(0, 1).contiguous() for x in xs]
    return sd, xs


def search(base, fx, Ts, tries=400):
    for seed in range(base, base + tries):
        sd, xs = draw(seed, fx, Ts)
        if acceptable(sd, xs, fx):
            return seed, sd, xs
    raise RuntimeError(f"no acceptable seed in [{base}, {base + tries}) for {fx['name']}")


# ----------------------------------------------------------------------------------------------
# The networks, as each library's users write them
# ----------------------------------------------------------------------------------------------

class NorseNet(torch.nn.Module):
    """Norse: Linear -> cell1 -> Linear -> cell2, the time loop in forward, state None at t=0
    (the cells' own initial state: v = v_leak, i = 0). hidden: "lif" / "lifbox" / "lif_recurrent"
    (LIFRecurrentCell(I, H), which has its own input weights instead of fc1); readout: "lif" /
    "lifbox" / "li"."""

    def __init__(self, hidden, readout, p_hidden, p_readout, dt):
        super().__init__()
        self.hidden, self.readout = hidden, readout
        if hidden == "lif_recurrent":
            self.lif1 = nt.LIFRecurrentCell(I, H, p=p_hidden, dt=dt)
        else:
            self.fc1 = torch.nn.Linear(I, H)
            self.lif1 = (nt.LIFCell(p=p_hidden, dt=dt) if hidden == "lif"
                         else nt.LIFBoxCell(p=p_hidden, dt=dt))
        self.fc2 = torch.nn.Linear(H, O)
        self.lif2 = {"lif": lambda: nt.LIFCell(p=p_readout, dt=dt),
                     "lifbox": lambda: nt.LIFBoxCell(p=p_readout, dt=dt),
                     "li": lambda: nt.LICell(p=p_readout, dt=dt)}[readout]()

    def reset_state(self):
        pass  # the state starts as None in forward

    def forward(self, x):
        s1 = s2 = None
        ys = []
        for t in range(x.shape[0]):
            c = x[t] if self.hidden == "lif_recurrent" else self.fc1(x[t])
            z1, s1 = self.lif1(c, s1)
            y, s2 = self.lif2(self.fc2(z1), s2)
            ys.append(y)
        if self.readout == "li":
            return (torch.stack(ys),)
        return torch.stack(ys), s2.v


class SnnTorchNet(torch.nn.Module):
    """snnTorch tutorial loop: Linear -> Leaky/Synaptic/RLeaky/RSynaptic -> Linear ->
    Leaky/Synaptic, states from reset_mem() (init_leaky() & co.) at the start of forward."""

    def __init__(self, cell, mech, spike_grad, alpha, beta):
        super().__init__()
        self.cell = cell
        self.fc1 = torch.nn.Linear(I, H)
        kw = dict(spike_grad=spike_grad, reset_mechanism=mech)
        if cell == "leaky":
            self.lif1 = snn.Leaky(beta=beta, **kw)
        elif cell == "synaptic":
            self.lif1 = snn.Synaptic(alpha=alpha, beta=beta, **kw)
        elif cell == "rleaky":
            self.lif1 = snn.RLeaky(beta=beta, linear_features=H, all_to_all=True, **kw)
        else:
            self.lif1 = snn.RSynaptic(alpha=alpha, beta=beta, linear_features=H, all_to_all=True,
                                      **kw)
        self.fc2 = torch.nn.Linear(H, O)
        if cell in ("leaky", "rleaky"):
            self.lif2 = snn.Leaky(beta=beta, **kw)
        else:
            self.lif2 = snn.Synaptic(alpha=alpha, beta=beta, **kw)

    def reset_state(self):
        pass  # the tutorial loop initialises the state in forward

    def forward(self, x):
        c = self.cell
        if c == "leaky":
            mem1 = self.lif1.init_leaky()
        elif c == "synaptic":
            syn1, mem1 = self.lif1.init_synaptic()
        elif c == "rleaky":
            spk1, mem1 = self.lif1.init_rleaky()
        else:
            spk1, syn1, mem1 = self.lif1.init_rsynaptic()
        if c in ("leaky", "rleaky"):
            mem2 = self.lif2.init_leaky()
        else:
            syn2, mem2 = self.lif2.init_synaptic()
        spk2_rec = []
        for step in range(x.shape[0]):
            cur1 = self.fc1(x[step])
            if c == "leaky":
                spk1, mem1 = self.lif1(cur1, mem1)
            elif c == "synaptic":
                spk1, syn1, mem1 = self.lif1(cur1, syn1, mem1)
            elif c == "rleaky":
                spk1, mem1 = self.lif1(cur1, spk1, mem1)
            else:
                spk1, syn1, mem1 = self.lif1(cur1, spk1, syn1, mem1)
            cur2 = self.fc2(spk1)
            if c in ("leaky", "rleaky"):
                spk2, mem2 = self.lif2(cur2, mem2)
            else:
                spk2, syn2, mem2 = self.lif2(cur2, syn2, mem2)
            spk2_rec.append(spk2)
        return torch.stack(spk2_rec), mem2


class SJNet(torch.nn.Module):
    """SpikingJelly: layer.Linear -> neuron.LIFNode -> layer.Linear -> neuron.LIFNode."""

    def __init__(self, tau, decay_input, v_reset, surrogate_function, step_mode):
        super().__init__()
        self.step_mode = step_mode
        kw = dict(tau=tau, decay_input=decay_input, v_reset=v_reset,
                  surrogate_function=surrogate_function, step_mode=step_mode)
        self.fc1 = sj_layer.Linear(I, H, step_mode=step_mode)
        self.sn1 = sj_neuron.LIFNode(**kw)
        self.fc2 = sj_layer.Linear(H, O, step_mode=step_mode)
        self.sn2 = sj_neuron.LIFNode(**kw)

    def reset_state(self):
        sj_functional.reset_net(self)

    def forward(self, x):
        if self.step_mode == "s":
            zs = []
            for t in range(x.shape[0]):
                zs.append(self.sn2(self.fc2(self.sn1(self.fc1(x[t])))))
            return torch.stack(zs), self.sn2.v
        return self.sn2(self.fc2(self.sn1(self.fc1(x)))), self.sn2.v


class SinabsNet(torch.nn.Module):
    """sinabs: Linear -> LIF (or LIFRecurrent) -> Linear -> LIF (or ExpLeak) on [B, T, N]."""

    def __init__(self, tau_mem, tau_syn, spike_fn, surrogate_grad_fn, readout, tau_out,
                 recurrent=False):
        super().__init__()
        self.readout = readout
        self.fc1 = torch.nn.Linear(I, H)
        if recurrent:
            self.lif1 = sl.LIFRecurrent(tau_mem=tau_mem, rec_connect=torch.nn.Linear(H, H),
                                        tau_syn=tau_syn, spike_fn=spike_fn,
                                        surrogate_grad_fn=surrogate_grad_fn)
        else:
            self.lif1 = sl.LIF(tau_mem=tau_mem, tau_syn=tau_syn, spike_fn=spike_fn,
                               surrogate_grad_fn=surrogate_grad_fn)
        self.fc2 = torch.nn.Linear(H, O)
        if readout == "explea":
            self.lif2 = sl.ExpLeak(tau_mem=tau_out)
        else:
            self.lif2 = sl.LIF(tau_mem=tau_mem, tau_syn=tau_syn, spike_fn=spike_fn,
                               surrogate_grad_fn=surrogate_grad_fn)

    def reset_state(self):
        self.lif1.reset_states()
        self.lif2.reset_states()

    def forward(self, x):
        y = self.lif2(self.fc2(self.lif1(self.fc1(x))))
        if self.readout == "explea":
            return (y,)
        return y, self.lif2.v_mem


# ----------------------------------------------------------------------------------------------
# Fixture writer
# ----------------------------------------------------------------------------------------------

def fresh(name):
    d = os.path.join(LEAKY, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def scalar_or_list(v):
    if isinstance(v, torch.Tensor):
        v = v.detach().double()
        return float(v) if v.numel() == 1 else [float(t) for t in v.reshape(-1)]
    return float(v)


def cell_meta(cell, P):
    """The SPEC parameters and choices of one cell, as JSON values."""
    c = resolve(cell, P)
    m = {"cell": cell["cell"], "alpha": scalar_or_list(c["alpha"]),
         "beta": scalar_or_list(c["beta"]), "gamma": scalar_or_list(c["gamma"]),
         "v_leak": scalar_or_list(c["v_leak"]), "initial_potential": scalar_or_list(c["v0"])}
    if c["spikes"] == "none":
        m.update(threshold="none", reset="none", reset_grad="none", spikes="none")
    else:
        m.update(v_th=scalar_or_list(c["v_th"]), v_reset=scalar_or_list(c["v_reset"]),
                 threshold=c["threshold"], reset=c["reset"], reset_grad=c["reset_grad"],
                 spikes=c["spikes"])
    return m


def merged(layers, key):
    vals = [layer[key] for layer in layers]
    return vals[0] if all(v == vals[0] for v in vals) else vals


def spec_check(name, fx, sd, x, outputs, problems):
    """SPEC 1.2 (and, where declared, the deviation) against the library's float32 outputs."""
    def same(so):
        for k, _ in fx["outputs"]:
            a, b = gf.to_np(so[k]), outputs[k]
            ok = np.array_equal(a, b) if k in spike_names(fx) else gf.pot_close(a, b)
            if not ok:
                return False, k
        return True, None

    P32 = {k: v.clone() for k, v in sd.items()}
    so_spec, _, _ = leaky_forward(P32, x, fx, ("super", 1.0), mode="spec")
    spec_ok, where = same(so_spec)
    dev = fx.get("deviation")
    if dev is None:
        if not spec_ok:
            problems.append(f"{name}: SPEC 1.2 forward differs from the library in {where}")
        return {"spec_1_2_reproduces_library": spec_ok}
    so_lib, _, _ = leaky_forward(P32, x, fx, ("super", 1.0), mode="library")
    lib_ok, where_l = same(so_lib)
    if spec_ok:
        problems.append(f"{name}: declared deviation {dev['kind']} but SPEC 1.2 as written "
                        "reproduces the library (the declaration is stale)")
    if not lib_ok:
        problems.append(f"{name}: the declared deviation {dev['kind']} does not reproduce the "
                        f"library either ({where_l})")
    worst = {k: float(np.max(np.abs(gf.to_np(so_spec[k]) - outputs[k])))
             for k, _ in fx["outputs"]}
    return {"spec_1_2_reproduces_library": spec_ok, "spec_1_2_first_mismatch": where,
            "spec_1_2_max_abs_diff": worst, "deviation_reproduces_library": lib_ok}


def spec_grads(sd, x, fx, surrogate, gouts, mode):
    PP = {k: v.double().clone().requires_grad_(True) for k, v in sd.items()}
    xx = x.double().clone().requires_grad_(True)
    oo, _, _ = leaky_forward(PP, xx, fx, surrogate, mode=mode)
    names = [k for k, _ in fx["outputs"]]
    torch.autograd.backward([oo[k] for k in names],
                            [torch.from_numpy(gouts[k]).double() for k in names])
    g = {"x": xx.grad.numpy()}
    for k, v in PP.items():
        g[k] = v.grad.numpy() if v.grad is not None else np.zeros(tuple(v.shape))
    if mode != "graph" and fx.get("autapses") is False:
        # Norse's LIFRecurrentCell registers a hook that zeroes the diagonal of the recurrent
        # weights' gradient (no autapses); the ONNX graph has no such hook
        rw = fx["recurrent"][0]
        g[rw] = g[rw].copy()
        np.fill_diagonal(g[rw], 0.0)
    return g


def leaky_fixture(fx, sd, x, seed, with_grads=True, name=None, base=None):
    name = name or fx["name"]
    lib = fx["lib"]
    d = fresh(name)
    batch = fx["layout"] == "batch_major"
    Tn = x.shape[1] if batch else x.shape[0]
    output_names = [k for k, _ in fx["outputs"]]
    spikes_out = spike_names(fx)
    build = fx["build"]

    # ---- library forward (float32) and export
    net = build(fx["default_key"])
    net.load_state_dict(sd, strict=False)
    with torch.no_grad():
        outs = gfam.run_net(net, x)
    outputs = {k: gf.to_np(t) for k, t in zip(output_names, outs)}
    net.reset_state()
    model = gf.export_norse(net, x, d, ["x"], output_names)
    ins, outs_n, inits = gf.onnx_names(model)
    assert ins == ["x"] and outs_n == output_names, (ins, outs_n)
    hist = gf.write_ops(d, model)
    opset = {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
    inputs = {"x": x.numpy().astype(F32)}
    gf.savez(os.path.join(d, "inputs.npz"), inputs)
    gf.savez(os.path.join(d, "outputs.npz"), outputs)
    ort_worst = gf.ort_check(d, inputs, outputs, spikes_out)

    trainable = [k for k, p in net.named_parameters() if p.requires_grad]
    assert set(trainable) == set(sd), (trainable, list(sd))
    # parameters the exporter folds into constants (sinabs computes exp(-1/tau) from its
    # trainable tau_mem / tau_syn): no initializer carries them
    not_in_graph = fx.get("not_in_graph", {})
    for k in not_in_graph:
        assert k not in inits, f"{name}: {k} is an initializer after all"
    in_graph = [k for k in trainable if k not in not_in_graph]
    param_map = gf.map_params(os.path.join(d, "model.onnx"), {k: sd[k] for k in in_graph})
    trainable_onnx = [param_map[k][0] for k in in_graph]
    folded = gfam.folded_params(onnx.load(os.path.join(d, "model.onnx")), sd, in_graph)
    expect_fold = fx.get("expect_folded", [])
    assert sorted(folded.values()) == sorted(expect_fold), (name, folded, expect_fold)

    # ---- SPEC 1.2 must reproduce the library's forward exactly
    problems = []
    spec_report = spec_check(name, fx, sd, x, outputs, problems)
    P64 = {k: v.double() for k, v in sd.items()}
    so64, ms64, _ = leaky_forward(P64, x.double(), fx, ("super", 1.0))
    for k in spikes_out:
        if not np.array_equal(gf.to_np(so64[k]), outputs[k]):
            problems.append(f"{name}: float64 spikes flip in {k}")
    P32 = {k: v.clone() for k, v in sd.items()}
    so, ms32, hidden = leaky_forward(P32, x, fx, ("super", 1.0))
    margin = min(margin_of(ms32), margin_of(ms64))
    rates = {k: rate_of(so[k]) for k in spikes_out}
    hidden_rates = {"hidden": rate_of(hidden["hidden"])}
    max_count = {"hidden": float(hidden["hidden"].max()),
                 **{k: float(outputs[k].max()) for k in spikes_out}}

    grads_meta, grad_report = [], []
    if with_grads:
        rng = np.random.default_rng(seed + 1000)
        gouts = {k: rng.standard_normal(v.shape).astype(F32) for k, v in outputs.items()}
        gf.savez(os.path.join(d, "grad_outputs.npz"), gouts)
        spiking = [m for m in fx["layers_meta"] if m["spikes"] != "none"]
        for fname, key, (method, alpha), lib_surrogate in fx["grads"]:
            res = gfam.library_grads(build, key, sd, x, gouts, output_names, trainable)
            dtype = torch.float64 if torch.float64 in res else torch.float32
            g, louts = res[dtype]
            for k, t in zip(output_names, louts):
                if k in spikes_out:
                    assert np.array_equal(gf.to_np(t), outputs[k]), f"{name}: {dtype} flip"
            f32_vs_f64 = (max(gf.rel_err(res[torch.float32][0][k], g[k]) for k in g)
                          if dtype == torch.float64 else None)
            # the SPEC gradient (float64, with the mapped surrogate) of what the library computes:
            # the numerical check of the surrogate mapping and of the cell mapping's gradients
            sg = spec_grads(sd, x, fx, (method, alpha), gouts, "library")
            errs = {k: gf.rel_err(sg[k], g[k]) for k in g}
            spec_err = max(v for k, v in errs.items() if k not in not_in_graph)
            tol = 1e-6 if dtype == torch.float64 else 2e-5
            if spec_err > tol:
                problems.append(f"{name}/{fname}: SPEC {method}:{alpha:g} vs {lib} "
                                f"{lib_surrogate} gradient rel err {spec_err:.3e} ({errs})")
            # a time constant's gradient is one scalar summed over every neuron and step: in
            # float32 it carries more rounding (it is not in the graph, only checked)
            for k in not_in_graph:
                if errs[k] > (1e-6 if dtype == torch.float64 else 1e-3):
                    problems.append(f"{name}/{fname}: SPEC gradient of {k} differs from {lib}: "
                                    f"{errs[k]:.2e}")
            # the gradient of the ONNX graph: the library's, except where the graph cannot carry
            # it (a folded constant, or Norse's autapse hook)
            gg = spec_grads(sd, x, fx, (method, alpha), gouts, "graph")
            graph_differs = {}
            for k in in_graph:
                e = gf.rel_err(gg[k], g[k])
                if k in expect_fold or (fx.get("autapses") is False and k == fx["recurrent"][0]):
                    graph_differs[k] = e
                elif e > tol:
                    problems.append(f"{name}/{fname}: graph gradient of {k} differs from "
                                    f"{lib}: {e:.2e}")
            if fx.get("autapses") is False:
                rw = fx["recurrent"][0]
                off = ~np.eye(H, dtype=bool)
                e = gf.rel_err(gg[rw][off], g[rw][off])
                if e > tol or np.any(np.diag(g[rw]) != 0):
                    problems.append(f"{name}/{fname}: {rw} off-diagonal gradient differs "
                                    f"({e:.2e}) or Norse's diagonal is not zero")
            grads, lib_grads = {}, {}
            for k in ["x"] + in_graph:
                src = gg if k in graph_differs else g
                if k == "x":
                    grads["x"] = src["x"]
                    lib_grads["x"] = g["x"]
                    continue
                on, tr = param_map[k]
                grads[on] = src[k].T if tr else src[k]
                lib_grads[on] = g[k].T if tr else g[k]
            entry = {"file": fname, "surrogate": f"{method}:{alpha:g}",
                     "reset_grad": merged(spiking, "reset_grad"),
                     "library_surrogate": lib_surrogate,
                     "dtype": ("float64 (stored as float32)" if dtype == torch.float64 else
                               "float32 (the library does not run in float64)"),
                     "source": f"{lib} {VERSIONS[lib]} autograd",
                     "spec_vs_library_rel_err": spec_err}
            if f32_vs_f64 is not None:
                entry["library_float32_vs_float64_rel_err"] = f32_vs_f64
            if isinstance(entry["reset_grad"], list):
                entry["reset_grad_note"] = ("the layers differ ([hidden, readout]): "
                                            "--reset-grad " + ",".join(entry["reset_grad"]))
            if not_in_graph:
                entry["not_in_graph"] = {k: {"library_grad": scalar_or_list(
                    torch.from_numpy(np.asarray(g[k]))), "spec_rel_err": errs[k]}
                    for k in not_in_graph}
            if graph_differs:
                gf.savez(os.path.join(d, "library_" + fname), lib_grads)
                entry["differs_from_library"] = {param_map[k][0]: v
                                                 for k, v in graph_differs.items()}
                entry["library_file"] = "library_" + fname
                entry["source"] += (" except " + ", ".join(param_map[k][0] for k in graph_differs)
                                    + " (gradient of the ONNX graph, see library_file)")
                if folded:
                    entry["folded_constants"] = folded
            gf.check_grad_keys(model, grads)
            gf.savez(os.path.join(d, fname), grads)
            grads_meta.append(entry)
            grad_report.append((fname, entry["surrogate"], spec_err, f32_vs_f64))

    layers = fx["layers_meta"]
    top = {k: merged(layers, k) for k in ("alpha", "beta", "gamma", "v_leak", "threshold",
                                          "reset", "reset_grad", "spikes", "initial_potential")}
    spiking = [m for m in layers if m["spikes"] != "none"]
    top.update({k: merged(spiking, k) for k in ("v_th", "v_reset")})
    meta = {
        "name": name,
        "description": (fx["description"] if base is None else
                        f"The network of {base} (same weights) over T={Tn}; x is a prefix of the "
                        f"T={max(fx['Ts'])} input along the time axis."),
        "kind": "library_export", "library": lib, "library_version": VERSIONS[lib],
        "variant": fx["variant"], "order": "integrate_then_fire", **top,
        "layers": layers, "layout": fx["layout"],
        "initial_potential_note": fx["initial_potential_note"],
        "T": int(Tn), "B": B, "inputs": ins, "outputs": outs_n, "spike_outputs": spikes_out,
        "potential_outputs": {k: v for k, v in fx["output_notes"].items()},
        "grads": grads_meta, "min_margin": margin, "spike_rates": rates,
        "hidden_spike_rates": hidden_rates, "max_spike_count": max_count,
        "spec_check": spec_report,
        "opset": opset, "ir_version": model.ir_version,
        "initializers": {k: list(v[0]) for k, v in inits.items()},
        "trainable_initializers": trainable_onnx,
        "torch_parameters": {k: {"onnx_initializer": v[0], "transposed": v[1]}
                             for k, v in param_map.items()},
        "seed": seed,
        "generator": {"torch": torch.__version__.split("+")[0], lib: VERSIONS[lib],
                      "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }
    if not_in_graph:
        meta["parameters_not_in_graph"] = not_in_graph
    if fx.get("deviation"):
        meta["deviation"] = dict(fx["deviation"])
        if fx["deviation"]["kind"] == "subtract_after_decay":
            meta["deviation"]["subtract_amount"] = merged(
                [{"a": m["v_th"] / m["beta"]} for m in spiking], "a")
    meta.update(fx.get("extra", {}))
    if not with_grads:
        meta["note"] = "model, inputs and outputs only (no gradients): for the T-independence test"
    gf.write_meta(d, meta)
    SUMMARY.append({"name": name, "ops": hist, "rates": rates, "hidden": hidden_rates,
                    "margin": margin, "max_count": max_count, "grads": grad_report,
                    "ort": ort_worst, "problems": problems, "folded": folded,
                    "spec": spec_report})
    if problems:
        raise AssertionError("\n".join(problems))


# With --name: only the fixtures of these names (each variant's seed search is its own, so the
# others are left as they are).
ONLY_NAMES = None


def run_fixture(fx, base_seed):
    if ONLY_NAMES is not None and fx["name"] not in ONLY_NAMES:
        return
    Ts = fx.get("Ts", (T,))
    fx["Ts"] = Ts
    seed, sd, xs = search(base_seed, fx, Ts)
    P = {k: v.clone() for k, v in sd.items()}
    fx["layers_meta"] = [cell_meta(c, P) for c in fx["cells"]]
    leaky_fixture(fx, sd, xs[0], seed)
    for Tx, x in zip(Ts[1:], xs[1:]):
        leaky_fixture(fx, sd, x, seed, with_grads=False, name=f"{fx['name']}_t{Tx}",
                      base=fx["name"])


# ----------------------------------------------------------------------------------------------
# The fixtures
# ----------------------------------------------------------------------------------------------

NORSE_GRADS = {
    "super": ("grads_super.npz", "super", ("super", 1.0),
              "method='super' (Norse 1.1.0's SuperSpike ignores alpha: super:1)"),
    "tanh": ("grads_tanh.npz", "tanh", ("tanh", 2.0), "method='tanh', alpha=2"),
}


def norse_consts(p, dt):
    """Norse's per-step factors, computed as Norse computes them (dt * tensor, float32)."""
    c_mem = float(dt * torch.as_tensor(p.tau_mem_inv))
    c_syn = float(dt * torch.as_tensor(p.tau_syn_inv)) if hasattr(p, "tau_syn_inv") else None
    return c_mem, c_syn


def norse_cell(kind, p, dt, reset_grad="attached"):
    c_mem, c_syn = norse_consts(p, dt)
    v_leak = float(torch.as_tensor(p.v_leak))
    cell = {"cell": {"lif": "LIFCell", "lifbox": "LIFBoxCell", "li": "LICell",
                     "lif_recurrent": "LIFRecurrentCell"}[kind],
            "alpha": 0.0 if kind == "lifbox" else 1.0 - c_syn,
            "beta": 1.0 - c_mem, "gamma": c_mem, "v_leak": v_leak, "v0": v_leak}
    if kind == "li":
        cell.update(spikes="none", threshold="none", reset="none", reset_grad="none")
    else:
        cell.update(v_th=float(torch.as_tensor(p.v_th)), v_reset=float(torch.as_tensor(p.v_reset)),
                    threshold="gt", reset="value", reset_grad=reset_grad, spikes="single")
    return cell


def gen_norse():
    lib = "norse"
    default = dict()
    custom = dict(tau_syn_inv=torch.as_tensor(1.0 / 2e-3), tau_mem_inv=torch.as_tensor(1.0 / 4e-3),
                  v_leak=torch.as_tensor(0.25), v_th=torch.as_tensor(1.0),
                  v_reset=torch.as_tensor(-0.25))
    variants = [
        # name, hidden, readout, LIF parameters, dt, grads, scales, Ts
        ("norse_lif", "lif", "lif", default, 1e-3, ["super", "tanh"],
         (0.6, 1.0, 1.2, 0.48, 0.9, 0.3), (T, *TS_EXTRA)),
        ("norse_lif_vleak", "lif", "lif", custom, 1e-3, ["super"],
         (0.4, 1.0, 0.8, 0.32, 0.9, 0.3), (T,)),
        ("norse_lifbox", "lifbox", "lifbox", default, 1e-3, ["super"],
         (1.0, 1.0, 1.0, 0.8, 4.0, 1.6), (T,)),
        ("norse_lif_li", "lif", "li", default, 1e-3, ["super"],
         (0.6, 1.0, 1.2, 0.48, 0.9, 0.3), (T, *TS_EXTRA)),
        ("norse_lif_recurrent", "lif_recurrent", "lif", default, 1e-3, ["super"],
         (0.8, 1.0, 0.8, 0.0, 1.2, 0.4), (T,)),
    ]
    for i, (name, hidden, readout, pk, dt, gkeys, scales, Ts) in enumerate(variants):
        def params(kind, method="super", alpha=100.0, pk=pk):
            if kind == "lifbox":
                kw = {k: v for k, v in pk.items() if k != "tau_syn_inv"}
                return LIFBoxParameters(method=method, alpha=torch.as_tensor(alpha), **kw)
            if kind == "li":
                kw = {k: v for k, v in pk.items() if k in ("tau_syn_inv", "tau_mem_inv", "v_leak")}
                return LIParameters(**kw)
            return LIFParameters(method=method, alpha=torch.as_tensor(alpha), **pk)

        def build(key, hidden=hidden, readout=readout, dt=dt, params=params):
            method, alpha = {"super": ("super", 100.0), "tanh": ("tanh", 2.0)}[key]
            return NorseNet(hidden, readout, params(hidden, method, alpha),
                            params(readout, method, alpha), dt)

        p1, p2 = params(hidden), params(readout)
        cells = [norse_cell("lif" if hidden == "lif_recurrent" else hidden, p1, dt,
                            "detached" if hidden == "lif_recurrent" else "attached"),
                 norse_cell(readout, p2, dt)]
        cells[0]["cell"] = {"lif": "LIFCell", "lifbox": "LIFBoxCell",
                            "lif_recurrent": "LIFRecurrentCell"}[hidden]
        pdesc = ("LIFParameters()" if not pk else
                 "LIFParameters(tau_syn_inv=1/2e-3, tau_mem_inv=1/4e-3, v_leak=0.25, v_th=1, "
                 "v_reset=-0.25)")
        if hidden == "lifbox":
            pdesc = "LIFBoxParameters()"
        hdesc = {"lif": f"norse.torch.LIFCell(p={pdesc}, dt={dt:g})",
                 "lifbox": f"norse.torch.LIFBoxCell(p={pdesc}, dt={dt:g})",
                 "lif_recurrent": f"norse.torch.LIFRecurrentCell({I}, {H}, p={pdesc}, dt={dt:g}) "
                                  "(autapses=False: zero diagonal)"}[hidden]
        rdesc = {"lif": f"norse.torch.LIFCell(p={pdesc}, dt={dt:g})", "lifbox": hdesc,
                 "li": f"norse.torch.LICell(p=LIParameters(), dt={dt:g})"}[readout]
        first = hdesc if hidden == "lif_recurrent" else f"nn.Linear({I}->{H}) -> {hdesc}"
        if readout == "li":
            outputs = [("v", "v_seq")]
            notes = {"v": "the LICell's potential v at every step [T,B,O] (= v-hat; an LI cell "
                          "has no threshold or reset)"}
        else:
            outputs = [("spikes", "spikes"), ("v_final", "v_final")]
            notes = {"v_final": "lif2's state.v after the last step, after the reset (SPEC v_T)"}
        fx = {
            "name": name, "lib": lib, "layout": "time_major", "cells": cells,
            "variant": f"{hidden} -> {readout}", "build": build, "default_key": "super",
            "grads": [NORSE_GRADS[k] for k in gkeys], "scales": scales, "Ts": Ts,
            "outputs": outputs, "output_notes": notes,
            "description": (f"Norse {VERSIONS[lib]}: {first} -> nn.Linear({H}->{O}) -> {rdesc}; "
                            "Python loop over T with the state starting as None (the cells' "
                            "initial state: v = v_leak" + ("" if hidden == "lifbox" else ", i = 0")
                            + ")."),
            "initial_potential_note": "v_leak (Norse's initial state; SPEC 1.2)",
            "extra": {"dt": dt},
        }
        if hidden == "lif_recurrent":
            fx.update(input="norse_recurrent", recurrent=("lif1.recurrent_weights", None),
                      autapses=False, rec_scale=1.5)
            fx["extra"]["recurrent"] = (
                "I_t = x_t W_in^T + z_{t-1} W_rec^T (no biases); W_rec's diagonal is zero "
                "(autapses=False) and Norse registers a hook that zeroes its gradient's diagonal, "
                "which the ONNX graph cannot carry (library_grads_*.npz). Norse's lif_step "
                "resets with z_new.detach(): reset_grad detached in the hidden layer, unlike "
                "LIFCell.")
        run_fixture(fx, 4000 + 100 * i)


def snt_cell(cell, mech, alpha, beta):
    a = float(torch.as_tensor(alpha).clamp(0, 1)) if cell in ("Synaptic", "RSynaptic") else 0.0
    return {"cell": cell, "alpha": a, "beta": float(torch.as_tensor(beta).clamp(0, 1)),
            "gamma": 1.0, "v_leak": 0.0, "v0": 0.0, "v_th": 1.0, "v_reset": 0.0,
            "threshold": "gt", "reset": {"subtract": "subtract", "zero": "value",
                                         "none": "none"}[mech],
            "reset_grad": "detached", "spikes": "single"}


SNT_DEVIATION = {
    "kind": "subtract_after_decay",
    "what": ("snnTorch's reset by subtraction (reset_delay=True, its default) subtracts the "
             "threshold from the NEW potential: mem_t = beta*mem_{t-1} + I_t - "
             "Theta(mem_{t-1} - thr)*thr (Leaky._base_sub: `self._base_state_function(input_) - "
             "self.reset * self.threshold`, with _base_state_function = `self.beta.clamp(0, 1) * "
             "self.mem + input_`). SPEC 1.2 with reset subtract gives v_hat_t = beta*(v_hat_{t-1} "
             "- z_{t-1}*v_th) + I_t, i.e. subtracts beta*thr. For beta != 1 the two differ."),
    "maps_to": ("SPEC 1.2 with reset 'subtract' whose subtracted amount is v_th / beta "
                "(v_t = v_hat_t - z_t * v_th / beta); spikes and the exposed mem (v_hat) are then "
                "identical to snnTorch's"),
}


def gen_snntorch():
    lib = "snntorch"
    variants = [
        # name, cell, reset_mechanism, grads, scales, Ts
        ("snntorch_leaky_subtract", "leaky", "subtract", ["atan", "fast_sigmoid"],
         (0.1, 1.0, 0.15, 0.05, 0.3, 0.05), (T, *TS_EXTRA)),
        ("snntorch_leaky_zero", "leaky", "zero", ["atan"],
         (0.1, 1.0, 0.15, 0.05, 0.3, 0.05), (T,)),
        ("snntorch_synaptic", "synaptic", "subtract", ["atan", "fast_sigmoid"],
         (0.03, 1.0, 0.05, 0.02, 0.1, 0.02), (T,)),
        ("snntorch_rleaky", "rleaky", "subtract", ["atan"],
         (0.1, 1.0, 0.15, 0.05, 0.3, 0.05), (T, *TS_EXTRA)),
        ("snntorch_rsynaptic", "rsynaptic", "subtract", ["atan"],
         (0.03, 1.0, 0.05, 0.02, 0.1, 0.02), (T, *TS_EXTRA)),
    ]
    alpha, beta = 0.8, 0.9
    for i, (name, cell, mech, gkeys, scales, Ts) in enumerate(variants):
        def build(key, cell=cell, mech=mech):
            return SnnTorchNet(cell, mech, gfam.snt_surrogate(key), alpha, beta)

        hname = {"leaky": "Leaky", "synaptic": "Synaptic", "rleaky": "RLeaky",
                 "rsynaptic": "RSynaptic"}[cell]
        oname = "Leaky" if cell in ("leaky", "rleaky") else "Synaptic"
        cells = [snt_cell(hname, mech, alpha, beta), snt_cell(oname, mech, alpha, beta)]
        ab = f"alpha={alpha}, beta={beta}" if "ynaptic" in hname else f"beta={beta}"
        rec = ", linear_features=32, all_to_all=True" if cell.startswith("r") else ""
        mech_s = "" if mech == "subtract" else f", reset_mechanism='{mech}'"
        hdesc = f"snn.{hname}({ab}{rec}{mech_s})"
        odesc = (f"snn.{oname}(beta={beta}{mech_s})" if oname == "Leaky"
                 else f"snn.{oname}(alpha={alpha}, beta={beta}{mech_s})")
        fx = {
            "name": name, "lib": lib, "layout": "time_major", "cells": cells,
            "variant": hdesc, "build": build, "default_key": "atan",
            "grads": [gfam.SNT_GRADS[k] for k in gkeys], "scales": scales, "Ts": Ts,
            "outputs": [("spikes", "spikes"), ("mem", "v_hat_final")],
            "output_notes": {"mem": "lif2's mem after the last step: the potential BEFORE the "
                                    "reset (v-hat_T); snnTorch applies the reset of step t at "
                                    "step t+1 from a detached Theta(mem_{t-1} - threshold)"},
            "description": (f"snnTorch {VERSIONS[lib]}: nn.Linear({I}->{H}) -> {hdesc} -> "
                            f"nn.Linear({H}->{O}) -> {odesc}, the tutorial loop over T with the "
                            "states from init_leaky()/init_synaptic()/init_rleaky()/"
                            "init_rsynaptic(). Outputs: spikes [T,B,O] and the last layer's mem "
                            "after the last step (before its reset)."),
            "initial_potential_note": "0 (reset_mem() zeros; synaptic current 0)",
            "extra": {"reset_mechanism": mech, "snntorch_alpha": alpha if "ynaptic" in hname
                      else None, "snntorch_beta": beta},
        }
        if mech == "subtract":
            fx["deviation"] = SNT_DEVIATION
        if cell.startswith("r"):
            fx.update(recurrent=("lif1.recurrent.weight", "lif1.recurrent.bias"),
                      expect_folded=["lif1.recurrent.bias"])
            fx["extra"]["recurrent"] = (
                "I_t = fc1(x_t) + recurrent(spk_{t-1}) with recurrent = nn.Linear(32, 32) WITH "
                "bias (also at t=0 where spk_{-1} = 0: the exporter folds that step's "
                "recurrent(0) = bias into a constant, so grads_*.npz holds the graph's gradient "
                "for lif1.recurrent.bias and library_grads_*.npz snnTorch's)"
                + ("; RSynaptic adds it to the synaptic current syn" if cell == "rsynaptic"
                   else ""))
        run_fixture(fx, 5000 + 100 * i)


def sj_cell(tau, decay_input, v_reset, detach=False):
    return {"cell": "LIFNode", "alpha": 0.0, "beta": 1.0 - 1.0 / tau,
            "gamma": 1.0 / tau if decay_input else 1.0,
            "v_leak": 0.0 if v_reset is None else v_reset,
            "v0": 0.0 if v_reset is None else v_reset, "v_th": 1.0,
            "v_reset": 0.0 if v_reset is None else v_reset, "threshold": "ge",
            "reset": "subtract" if v_reset is None else "value",
            "reset_grad": "detached" if detach else "attached", "spikes": "single"}


def gen_spikingjelly():
    lib = "spikingjelly"
    tau = 2.0
    variants = [
        # name, decay_input, v_reset, step_mode, grads, scales, Ts
        ("sj_lif_hard_s", True, 0.0, "s", ["sigmoid", "atan", "softsign"],
         (0.325, 1.0, 0.39, 0.26, 0.9, 0.3), (T, *TS_EXTRA)),
        ("sj_lif_soft_s", True, None, "s", ["sigmoid", "softsign"],
         (0.325, 1.0, 0.39, 0.26, 0.9, 0.3), (T,)),
        ("sj_lif_nodecay_hard_s", False, 0.0, "s", ["sigmoid"],
         (0.13, 1.0, 0.195, 0.13, 0.6, 0.2), (T,)),
        ("sj_lif_nodecay_soft_s", False, None, "s", ["sigmoid", "atan"],
         (0.13, 1.0, 0.195, 0.13, 0.6, 0.2), (T,)),
        ("sj_lif_hard_m", True, 0.0, "m", ["sigmoid", "atan"],
         (0.325, 1.0, 0.39, 0.26, 0.9, 0.3), (T,)),
        ("sj_lif_nodecay_soft_m", False, None, "m", ["sigmoid"],
         (0.13, 1.0, 0.195, 0.13, 0.6, 0.2), (T,)),
    ]
    for i, (name, decay, v_reset, mode, gkeys, scales, Ts) in enumerate(variants):
        def build(key, decay=decay, v_reset=v_reset, mode=mode):
            return SJNet(tau, decay, v_reset, gfam.sj_surrogates()[key], mode)

        cell = sj_cell(tau, decay, v_reset)
        node = f"LIFNode(tau={tau}, decay_input={decay}, v_reset={v_reset}, step_mode='{mode}')"
        fx = {
            "name": name, "lib": lib, "layout": "time_major", "cells": [cell, dict(cell)],
            "variant": node, "build": build, "default_key": "sigmoid",
            "grads": [gfam.SJ_GRADS[k] for k in gkeys], "scales": scales, "Ts": Ts,
            "outputs": [("spikes", "spikes"), ("v_final", "v_final")],
            "output_notes": {"v_final": "sn2.v after the last step, after the reset (SPEC v_T)"},
            "description": (f"SpikingJelly {VERSIONS[lib]}: layer.Linear({I}->{H}) -> neuron.{node}"
                            f" -> layer.Linear({H}->{O}) -> LIFNode(same); "
                            + ("Python loop over T (step_mode 's')" if mode == "s" else
                               "multi-step on the whole [T,B,N] sequence")
                            + "; functional.reset_net before each run. Outputs: spikes [T,B,O] "
                            "and the last LIFNode's v after the last step (after its reset)."),
            "initial_potential_note": ("v_reset (0.0): hard reset" if v_reset is not None else
                                       "0.0: soft reset"),
            "extra": {"step_mode": mode, "tau": tau, "decay_input": decay},
        }
        run_fixture(fx, 6000 + 100 * i)


def sinabs_cell(tau_key, syn_key, spike_fn, norm_input=True):
    def beta(P):
        return torch.exp(-1.0 / P[tau_key])

    def alpha(P):
        return torch.exp(-1.0 / P[syn_key]) if syn_key else 0.0

    def gamma(P):
        g = (1.0 - beta(P)) if norm_input else 1.0
        # sinabs: i_syn = alpha_syn * (i_syn + x) = alpha_syn * u, so gamma carries alpha_syn
        return g * alpha(P) if syn_key else g

    c = {"cell": "LIF" if spike_fn else "ExpLeak", "alpha": alpha, "beta": beta, "gamma": gamma,
         "v_leak": 0.0, "v0": 0.0}
    if spike_fn is None:
        c.update(spikes="none", threshold="none", reset="none", reset_grad="none")
    else:
        c.update(v_th=1.0, v_reset=0.0, threshold="ge", reset="subtract", reset_grad="attached",
                 spikes="multi" if spike_fn is sa.MultiSpike else "single")
    return c


def gen_sinabs():
    lib = "sinabs"
    tau_mem, tau_syn, tau_out = 5.0, 3.0, 4.0
    variants = [
        # name, tau_syn?, spike_fn, readout, grads, scales, Ts
        ("sinabs_lif_multi", False, sa.MultiSpike, "lif", ["exp"],
         (0.6, 1.0, 0.6, 0.5, 1.2, 0.3), (T, *TS_EXTRA)),
        ("sinabs_lif_single", False, sa.SingleSpike, "lif", ["exp"],
         (0.6, 1.0, 0.6, 0.45, 1.35, 0.3), (T,)),
        ("sinabs_lif_syn", True, sa.MultiSpike, "lif", ["exp"],
         (0.6, 1.0, 0.6, 0.5, 0.5, 0.1), (T,)),
        ("sinabs_lif_explea", False, sa.MultiSpike, "explea", ["exp"],
         (0.6, 1.0, 0.6, 0.5, 0.5, 0.0), (T,)),
        ("sinabs_lif_rec_single", False, sa.SingleSpike, "lif_rec", ["exp"],
         (0.6, 1.0, 0.6, 0.45, 1.35, 0.3), (T, *TS_EXTRA)),
        ("sinabs_lif_rec_multi", False, sa.MultiSpike, "lif_rec", ["exp"],
         (0.6, 1.0, 0.6, 0.5, 1.2, 0.3), (T,)),
    ]
    for i, (name, syn, spike_fn, readout, gkeys, scales, Ts) in enumerate(variants):
        ts = tau_syn if syn else None
        rec = readout == "lif_rec"

        def build(key, ts=ts, spike_fn=spike_fn, readout=readout, rec=rec):
            return SinabsNet(tau_mem, ts, spike_fn, gfam.sin_surrogate(key), readout, tau_out,
                             recurrent=rec)

        c1 = sinabs_cell("lif1.tau_mem", "lif1.tau_syn" if syn else None, spike_fn)
        if rec:
            c1["cell"] = "LIFRecurrent"
        if readout == "explea":
            c2 = sinabs_cell("lif2.tau_mem", None, None, norm_input=False)
        else:
            c2 = sinabs_cell("lif2.tau_mem", "lif2.tau_syn" if syn else None, spike_fn)
        fixed = {"lif1.tau_mem": tau_mem, "lif2.tau_mem": tau_out if readout == "explea"
                 else tau_mem}
        if syn:
            fixed.update({"lif1.tau_syn": tau_syn, "lif2.tau_syn": tau_syn})
        not_in_graph = {k: ("a trainable nn.Parameter; the exporter folds exp(-1/" + k.split(".")[1]
                            + ") (and 1 - that) into float constants, so the ONNX graph has no "
                            "initializer for it and grads_*.npz no gradient; the library's "
                            "gradient is in meta.json grads[].not_in_graph") for k in fixed}
        lif = (f"sinabs.layers.{'LIFRecurrent' if rec else 'LIF'}(tau_mem={tau_mem}"
               + (f", rec_connect=nn.Linear({H},{H})" if rec else "")
               + (f", tau_syn={tau_syn}" if syn else "") + f", spike_fn={spike_fn.__name__})")
        odesc = (f"sinabs.layers.ExpLeak(tau_mem={tau_out})" if readout == "explea"
                 else "LIF(same)")
        if readout == "explea":
            outputs = [("v", "v_seq")]
            notes = {"v": "the ExpLeak layer's output: its v_mem at every step [B,T,O] (an LI "
                          "cell: no threshold or reset; norm_input=False, ExpLeak's default)"}
        else:
            outputs = [("spikes", "spikes"), ("v_mem", "v_final")]
            notes = {"v_mem": "lif2.v_mem after the last step, after the reset (SPEC v_T)"}
        fx = {
            "name": name, "lib": lib, "layout": "batch_major", "cells": [c1, c2],
            "variant": f"{lif} -> {odesc}", "build": build, "default_key": "exp",
            "grads": [gfam.SIN_GRADS[k] for k in gkeys], "scales": scales, "Ts": Ts,
            "outputs": outputs, "output_notes": notes, "fixed_params": fixed,
            "not_in_graph": not_in_graph,
            "description": (f"sinabs {VERSIONS[lib]}: nn.Linear({I}->{H}) -> {lif} -> "
                            f"nn.Linear({H}->{O}) -> {odesc} on a batch-major input "
                            f"[B,T,{I}]; norm_input=True in LIF (its default); reset_states() "
                            "before each run."),
            "initial_potential_note": "0 (sinabs' initial state; i_syn = 0)",
            "extra": {"tau_mem": tau_mem, "tau_syn": ts,
                      "spike_fn": spike_fn.__name__, "reset_fn": "MembraneSubtract()"},
        }
        if readout == "explea":
            fx["extra"]["tau_mem_readout"] = tau_out
        if rec:
            fx.update(recurrent=("lif1.rec_connect.weight", "lif1.rec_connect.bias"),
                      rec_first="zero")
            fx["extra"]["recurrent"] = (
                f"I_t = fc1(x_t) + rec_connect(z_(t-1)) for t >= 1 with rec_connect = "
                f"nn.Linear({H}, {H}) WITH bias, I_0 = fc1(x_0): sinabs starts from rec_out = 0, "
                "so step 0 adds neither R z nor the bias; z are spike counts for MultiSpike; "
                "norm_input scales the whole current by 1 - beta")
        if syn:
            fx["extra"]["gamma_note"] = (
                "sinabs 3.1.3 updates i_syn = alpha_syn * (i_syn + x) and v_mem = beta * v_mem + "
                "(1 - beta) * i_syn, so i_syn = alpha_syn * u and gamma = alpha_syn * (1 - beta); "
                "SPEC 1.2's table lists gamma = 1 - beta for sinabs LIF")
        run_fixture(fx, 7000 + 100 * i)


# ----------------------------------------------------------------------------------------------
# What an snnc binary makes of each fixture (imports? imported-stage outputs match?)
# ----------------------------------------------------------------------------------------------

def snnc_check(binary, names=None):
    rows = []
    for name in sorted(os.listdir(LEAKY)):
        d = os.path.join(LEAKY, name)
        if not os.path.isfile(os.path.join(d, "model.onnx")) or (names and name not in names):
            continue
        meta = json.load(open(os.path.join(d, "meta.json")))
        row = {"name": name}
        r = subprocess.run([binary, "inspect", os.path.join(d, "model.onnx"), "--json",
                            "--stage", "imported"], capture_output=True, text=True)
        row["imports"] = r.returncode == 0
        if r.returncode != 0:
            row["error"] = (r.stderr or r.stdout).strip()
            rows.append(row)
            continue
        imp = json.loads(r.stdout)["imported"]
        row["imported_nodes"], row["imported_ops"] = imp["nodes"], imp["ops"]
        r = subprocess.run([binary, "inspect", os.path.join(d, "model.onnx"), "--json"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            row["optimizer_error"] = (r.stderr or r.stdout).strip()
        else:
            js = json.loads(r.stdout)
            row["optimized_nodes"] = js["optimized"]["nodes"]
            row["optimized_ops"] = js["optimized"]["ops"]
            row["cells"] = [c.get("kind") for c in js.get("cells", [])]
        with tempfile.TemporaryDirectory(prefix="leakyfix-") as td:
            out = os.path.join(td, "out.npz")
            x = os.path.join(td, "x.npy")
            np.save(x, np.load(os.path.join(d, "inputs.npz"))["x"])
            for stage in ("imported", "optimized"):
                r = subprocess.run([binary, "run", os.path.join(d, "model.onnx"), "--input",
                                    f"x={x}", "--output", out, "--stage", stage],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    row[stage] = {"runs": False, "error": (r.stderr or r.stdout).strip()}
                    continue
                got, ref = np.load(out), np.load(os.path.join(d, "outputs.npz"))
                res = {"runs": True}
                ok = True
                for k in ref.files:
                    if k in meta["spike_outputs"]:
                        flips = int(np.sum(got[k] != ref[k]))
                        res[k] = {"spike_mismatches": flips, "of": int(ref[k].size)}
                        ok &= flips == 0
                    else:
                        err = float(np.max(np.abs(got[k].astype(np.float64) - ref[k])
                                           / np.maximum(1.0, np.abs(ref[k]))))
                        res[k] = {"max_rel_err": err}
                        ok &= err <= 1e-5
                res["matches"] = bool(ok)
                row[stage] = res
            # gradients of the imported graph (reference interpreter) with each file's surrogate
            gos = np.load(os.path.join(d, "grad_outputs.npz")) if meta["grads"] else None
            row["grads"] = {}
            for g in meta["grads"]:
                # One choice for every layer, or one per spiking layer (a list).
                per_layer = isinstance(g["reset_grad"], list)
                flags = [",".join(g["reset_grad"])] if per_layer else [g["reset_grad"]]
                for flag in flags:
                    gres = {"surrogate": g["surrogate"], "reset_grad": flag}
                    key = g["file"]
                    row["grads"][key] = gres
                    cmd = [binary, "grad", os.path.join(d, "model.onnx"), "--input", f"x={x}",
                           "--output", out, "--surrogate", g["surrogate"], "--reset-grad", flag]
                    for k in gos.files:
                        p = os.path.join(td, f"g_{k}.npy")
                        np.save(p, gos[k])
                        cmd += ["--grad-output", f"{k}={p}"]
                    r = subprocess.run(cmd, capture_output=True, text=True)
                    if r.returncode != 0:
                        gres["error"] = (r.stderr or r.stdout).strip()
                        continue
                    got, ref = np.load(out), np.load(os.path.join(d, g["file"]))
                    errs = {k: gf.rel_err(got[k], ref[k]) for k in ref.files}
                    gres["max_rel_err"] = max(errs.values())
                    gres["worst"] = max(errs, key=errs.get)
                    gres["matches"] = gres["max_rel_err"] <= 1e-4
        rows.append(row)
    return rows


def print_snnc(rows):
    for r in rows:
        if not r["imports"]:
            print(f"{r['name']:<28} does not import: {r['error'].splitlines()[0]}")
            continue
        st = []
        for stage in ("imported", "optimized"):
            s = r.get(stage, {})
            if not s.get("runs"):
                st.append(f"{stage}: fails ({s.get('error', '?').splitlines()[0]})")
            else:
                det = ", ".join(f"{k} {v}" for k, v in s.items() if k not in ("runs", "matches"))
                st.append(f"{stage}: {'match' if s['matches'] else 'MISMATCH'} ({det})")
        opt = (f"nodes {r['imported_nodes']} -> {r.get('optimized_nodes', '?')}, cells "
               f"{r.get('cells', '?')}")
        print(f"{r['name']:<28} imports ({opt}); " + "; ".join(st))
        for f, g in r.get("grads", {}).items():
            if "error" in g:
                print(f"    grad {f} [{g['surrogate']}]: fails ({g['error'].splitlines()[0]})")
            else:
                print(f"    grad {f} [{g['surrogate']}, {g['reset_grad']}]: "
                      f"{'match' if g['matches'] else 'MISMATCH'} (max rel err "
                      f"{g['max_rel_err']:.1e} in {g['worst']})")


# ----------------------------------------------------------------------------------------------
# N-MNIST-sized benchmark model (not committed), mirroring scripts/peers.py's Norse model
# ----------------------------------------------------------------------------------------------

BENCH_DIMS = dict(T=100, B=16, I=2312, H=512, O=10)


class NorseLIFNet(torch.nn.Module):
    """Linear(I->H) -> LIFCell() -> Linear(H->O) -> LIFCell(), time loop unrolled in forward:
    generate_fixtures.FFNet with LIFCell in place of IAFCell."""

    def __init__(self, I_, H_, O_):
        super().__init__()
        self.fc1 = torch.nn.Linear(I_, H_)
        self.lif1 = nt.LIFCell()
        self.fc2 = torch.nn.Linear(H_, O_)
        self.lif2 = nt.LIFCell()

    def forward(self, x):
        s1 = s2 = None
        zs = []
        for t in range(x.shape[0]):
            z1, s1 = self.lif1(self.fc1(x[t]), s1)
            z2, s2 = self.lif2(self.fc2(z1), s2)
            zs.append(z2)
        return torch.stack(zs), s2.v


# With peers.py's weights as they are, no LIFCell neuron ever fires (hidden and output spike
# rate 0: the leak and gamma = dt * tau_mem_inv = 0.1 keep v far below v_th), which would time a
# silent network. The bench model scales them: fc1 (weight and bias) by 16 and fc2 by 8, which
# gives a hidden spike rate of 9.0% and an output spike rate of 13.7% on the bench input.
BENCH_GAIN = (16.0, 8.0)


def bench_net():
    """The weights of scripts/peers.py's Norse network (same seed, same construction), scaled
    by BENCH_GAIN."""
    torch.manual_seed(0)
    ref = gf.FFNet(BENCH_DIMS["I"], BENCH_DIMS["H"], BENCH_DIMS["O"])
    net = NorseLIFNet(BENCH_DIMS["I"], BENCH_DIMS["H"], BENCH_DIMS["O"])
    net.fc1.load_state_dict(ref.fc1.state_dict())
    net.fc2.load_state_dict(ref.fc2.state_dict())
    with torch.no_grad():
        for layer, g in ((net.fc1, BENCH_GAIN[0]), (net.fc2, BENCH_GAIN[1])):
            layer.weight.mul_(g)
            layer.bias.mul_(g)
    return net


def bench_input(density=0.05):
    rng = np.random.default_rng(0)
    return (rng.random((BENCH_DIMS["T"], BENCH_DIMS["B"], BENCH_DIMS["I"])) < density).astype(F32)


def bench(outdir, density=0.05):
    """Export Linear 2312->512 -> LIFCell -> Linear 512->10 -> LIFCell (T=100, B=16) from Norse
    to OUTDIR/norse_lif, with the input (5% spikes) of peers.py's network and its weights
    scaled by BENCH_GAIN."""
    net, x = bench_net(), bench_input(density)
    d = os.path.join(outdir, "norse_lif")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    gf.export_norse(net, torch.from_numpy(x), d, ["x"], ["spikes", "v_final"])
    np.save(os.path.join(d, f"input_{density:g}.npy"), x)
    gf.savez(os.path.join(d, "inputs.npz"), {"x": x})
    with torch.no_grad():
        xt = torch.from_numpy(x)
        s1 = s2 = None
        z1s, z2s = [], []
        for t in range(xt.shape[0]):
            z1, s1 = net.lif1(net.fc1(xt[t]), s1)
            z2, s2 = net.lif2(net.fc2(z1), s2)
            z1s.append(z1)
            z2s.append(z2)
    rates = {"hidden": rate_of(torch.stack(z1s)), "spikes": rate_of(torch.stack(z2s))}
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"network": "Linear(2312->512) -> LIFCell() -> Linear(512->10) -> LIFCell()",
                   "dims": BENCH_DIMS, "density": density, "weight_gain": BENCH_GAIN,
                   "spike_rates": rates, "outputs": ["spikes", "v_final"]}, f, indent=2)
    print(f"wrote {d}: spike rates {rates}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", metavar="OUTDIR",
                    help="only export the N-MNIST-sized Norse LIFCell model to OUTDIR/norse_lif")
    ap.add_argument("--only", help="only the fixtures of this library")
    ap.add_argument("--name", action="append",
                    help="only the fixture of this name (with its _t8/_t32 copies; repeatable)")
    ap.add_argument("--snnc", metavar="BIN",
                    help="only check what the snnc binary BIN makes of the existing fixtures")
    ap.add_argument("--report", metavar="FILE", help="with --snnc: also write the rows as JSON")
    a = ap.parse_args()
    if a.bench:
        bench(a.bench)
        return
    if a.snnc:
        rows = snnc_check(a.snnc)
        print_snnc(rows)
        if a.report:
            with open(a.report, "w") as f:
                json.dump(rows, f, indent=2)
                f.write("\n")
        return
    os.makedirs(LEAKY, exist_ok=True)
    global ONLY_NAMES
    ONLY_NAMES = set(a.name) if a.name else None
    for lib, fn in (("norse", gen_norse), ("snntorch", gen_snntorch),
                    ("spikingjelly", gen_spikingjelly), ("sinabs", gen_sinabs)):
        if a.only in (None, lib):
            fn()
    for s in SUMMARY:
        print(f"== {s['name']}: margin {s['margin']:.2e} rates {s['rates']} hidden "
              f"{s['hidden']} max count {s['max_count']} ort worst pot err {s['ort']:.1e}")
        print(f"   ops {s['ops']}")
        print(f"   spec check {s['spec']}")
        if s["folded"]:
            print(f"   folded constants {s['folded']}")
        for g in s["grads"]:
            print(f"   {g[0]} [{g[1]}]: SPEC-vs-library rel {g[2]:.2e}"
                  + (f", library f32-vs-f64 rel {g[3]:.2e}" if g[3] is not None else ""))
    print("fixtures written to", LEAKY)


if __name__ == "__main__":
    main()
