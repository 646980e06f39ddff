"""Independent PyTorch reference implementation of SPEC section 1 (integrate-and-fire).

This module deliberately does NOT import Norse: it is written from the SPEC text alone, so that
the fixtures can cross-check the SPEC against Norse 1.1.0 and provide references for the `snn`
custom-op models.

* Theta(s) = 1 if s > 0 else 0 (strict; 0, -0.0 and NaN give 0).
* Surrogates: one torch.autograd.Function per method; forward is strict Theta, backward is the
  SPEC table formula (s = argument of Theta, g = incoming gradient).
* The reset is NOT detached.
* Orders: "fire_then_integrate" (seed, Norse <= 0.0.7) and "integrate_then_fire" (Norse >= 1.0).
* Recurrent: I_t = x_t @ W^T + z_{t-1} @ R^T, weights [out, in].
* Initial state: v_{-1} = v_reset (broadcast, per neuron if v_reset is a vector), z_{-1} = 0.
"""

import math

import torch

METHODS = ("heaviside", "super", "triangle", "tanh", "circ", "heavi_erfc")
ORDERS = ("fire_then_integrate", "integrate_then_fire")


def _deriv_heaviside(s, a):
    return torch.zeros_like(s)


def _deriv_super(s, a):
    return 1.0 / (a * s.abs() + 1.0) ** 2


def _deriv_triangle(s, a):
    return a * torch.clamp(1.0 - s.abs(), min=0.0)


def _deriv_tanh(s, a):
    return 1.0 - torch.tanh(a * s) ** 2


def _deriv_circ(s, a):
    return a**3 / (a**2 + s**2) ** 1.5


def _deriv_heavi_erfc(s, a):
    return 2.0 * torch.exp(-((a * s) ** 2)) / math.sqrt(math.pi)


def _make_surrogate(name, deriv):
    def forward(ctx, s, alpha):
        ctx.save_for_backward(s)
        ctx.alpha = float(alpha)
        return (s > 0).to(s.dtype)

    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * deriv(s, ctx.alpha), None

    return type(
        name,
        (torch.autograd.Function,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward)},
    )


SURROGATES = {
    "heaviside": _make_surrogate("SpecHeaviside", _deriv_heaviside),
    "super": _make_surrogate("SpecSuper", _deriv_super),
    "triangle": _make_surrogate("SpecTriangle", _deriv_triangle),
    "tanh": _make_surrogate("SpecTanh", _deriv_tanh),
    "circ": _make_surrogate("SpecCirc", _deriv_circ),
    "heavi_erfc": _make_surrogate("SpecHeaviErfc", _deriv_heavi_erfc),
}


class IAFParams:
    """v_th / v_reset: python float or 1-D tensor of length N; method; alpha; order."""

    def __init__(self, v_th=1.0, v_reset=0.0, method="super", alpha=100.0,
                 order="fire_then_integrate"):
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}")
        if order not in ORDERS:
            raise ValueError(f"unknown order {order!r}")
        self.v_th, self.v_reset, self.method, self.alpha, self.order = (
            v_th, v_reset, method, float(alpha), order)

    def theta(self, s):
        return SURROGATES[self.method].apply(s, self.alpha)

    def cast(self, ref):
        """v_th, v_reset as tensors with ref's dtype/device (scalars stay 0-d)."""
        vt = torch.as_tensor(self.v_th, dtype=ref.dtype, device=ref.device)
        vr = torch.as_tensor(self.v_reset, dtype=ref.dtype, device=ref.device)
        return vt, vr


def iaf_step_core(v_prev, current, p: IAFParams):
    """One IAF step given the input current. Returns (z_t, v_t, s_t) with s_t = Theta argument."""
    v_th, v_reset = p.cast(v_prev)
    if p.order == "fire_then_integrate":
        s = v_prev - v_th
        z = p.theta(s)
        v_hat = (1 - z) * v_prev + z * v_reset
        v = v_hat + current
    else:
        v_hat = v_prev + current
        s = v_hat - v_th
        z = p.theta(s)
        v = (1 - z) * v_hat + z * v_reset
    return z, v, s


def initial_v(like, p: IAFParams):
    _, v_reset = p.cast(like)
    return torch.zeros_like(like) + v_reset


def iaf_feed_forward_step(x, v, p: IAFParams):
    """snn.IAFFeedForwardStep: X [B,N], V [B,N] -> (Z, V_new, s)."""
    return iaf_step_core(v, x, p)


def iaf_recurrent_step(x, z, v, W, R, p: IAFParams):
    """snn.IAFStep: X [B,I], Z [B,H], V [B,H], W [H,I], R [H,H] -> (Z_new, V_new, s)."""
    current = x @ W.T + z @ R.T
    return iaf_step_core(v, current, p)


def iaf_sequence(X, p: IAFParams, v0=None):
    """snn.IAF: X [T,B,N], optional V0 [B,N] -> (Z [T,B,N], V_T [B,N], list of s_t)."""
    v = initial_v(X[0], p) if v0 is None else v0
    zs, ss = [], []
    for t in range(X.shape[0]):
        z, v, s = iaf_feed_forward_step(X[t], v, p)
        zs.append(z)
        ss.append(s)
    return torch.stack(zs), v, ss


def iaf_recurrent_sequence(X, W, R, p: IAFParams, v0=None, z0=None):
    """snn.IAFRecurrent: X [T,B,I], W [H,I], R [H,H] -> (Z [T,B,H], V_T, Z_T, list of s_t)."""
    B, H = X.shape[1], W.shape[0]
    like = torch.zeros(B, H, dtype=X.dtype, device=X.device)
    v = initial_v(like, p) if v0 is None else v0
    z = like if z0 is None else z0
    zs, ss = [], []
    for t in range(X.shape[0]):
        z, v, s = iaf_recurrent_step(X[t], z, v, W, R, p)
        zs.append(z)
        ss.append(s)
    return torch.stack(zs), v, z, ss


def min_margin(ss):
    return min(float(s.detach().abs().min()) for s in ss)
