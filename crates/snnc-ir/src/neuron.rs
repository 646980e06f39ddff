//! The neuron's maths, defined once: the surrogate derivatives (SPEC §1), the spike decision
//! and the reset of the integrate-and-fire family (SPEC §1.1) and the reset's partial
//! derivatives. Each is generic over [`Num`], so the reference interpreter (f64, or its
//! dtype-rounded numbers), the CPU kernels (f32, inlined and monomorphized over a constant
//! [`Family`]) and the GPU renderers ([`Code`](crate::Code)) all evaluate these functions.

use crate::num::Num;
use crate::{Family, Method, Reset, ResetGrad, Spikes, Threshold};

/// σ'(s), the surrogate derivative of method `m` with sharpness `a`, at `s`.
#[inline(always)]
pub fn surrogate<N: Num>(m: Method, a: N, s: N) -> N {
    let proto = s.clone();
    let c = |x: f64| proto.lit(x);
    match m {
        Method::Heaviside => c(0.0),
        Method::Super => {
            let d = a * s.abs() + c(1.0);
            c(1.0) / (d.clone() * d)
        }
        Method::Triangle => a * (c(1.0) - s.abs()).max(c(0.0)),
        Method::Tanh => {
            let t = (a * s).tanh();
            c(1.0) - t.clone() * t
        }
        Method::Circ => {
            let q = a.clone() * a.clone() + s.clone() * s;
            a.clone() * a.clone() * a / (q.clone() * q.sqrt())
        }
        Method::HeaviErfc => {
            let x = a * s;
            c(2.0) * (-(x.clone() * x)).exp() / c(std::f64::consts::PI.sqrt())
        }
        Method::Atan => {
            let u = c(std::f64::consts::FRAC_PI_2) * a.clone() * s;
            (a / c(2.0)) / (c(1.0) + u.clone() * u)
        }
        Method::Sigmoid => {
            // σ(x)·(1 − σ(x)) = e^−|x| / (1 + e^−|x|)², which never overflows.
            let e = (-(a.clone() * s).abs()).exp();
            let d = c(1.0) + e.clone();
            a * e / (d.clone() * d)
        }
        Method::Exp => a.clone() * (-a * s.abs()).exp(),
    }
}

/// Whether the engines evaluate σ' of `m` in f32 (cheap, vectorizable formulas) rather than
/// in f64 rounded to f32 (the transcendental ones, whose f32 forms lose accuracy).
pub fn surrogate_in_f32(m: Method) -> bool {
    matches!(m, Method::Heaviside | Method::Super | Method::Triangle)
}

/// The spike(s) of a neuron of family `f` at potential `u`, with threshold `th` and
/// `s = u − th` (computed by the caller, as it is also the surrogate's argument):
/// `single` is `[s > 0]` (`gt`) or `[s ≥ 0]` (`ge`); `multi` is `[u > 0]·trunc(u / th)`; a
/// leaky integrator (`none`) never fires.
#[inline(always)]
pub fn spike<N: Num>(f: Family, s: N, u: N, th: N) -> N {
    let (one, zero) = (s.lit(1.0), s.lit(0.0));
    match (f.spikes, f.threshold) {
        (Spikes::Single, Threshold::Gt) => s.if_pos(one, zero),
        (Spikes::Single, Threshold::Ge) => s.if_nonneg(one, zero),
        (Spikes::Multi, _) => u.clone().if_pos((u / th).trunc(), zero),
        (Spikes::None, _) => zero,
    }
}

/// The potential `u` after the reset of spike(s) `z` (reset amount `d`, reset potential `r`):
/// `value` is `(1 − z)·u + z·r`, `subtract` is `u − z·d`, `none` is `u`. The amount is the
/// threshold unless the cell has its own ([`crate::IafParams::reset_amount_at`]).
#[inline(always)]
pub fn reset<N: Num>(f: Family, z: N, u: N, d: N, r: N) -> N {
    match f.reset {
        Reset::Value => (u.lit(1.0) - z.clone()) * u + z * r,
        Reset::Subtract => u - z * d,
        Reset::None => u,
    }
}

/// `(∂reset/∂u, ∂reset/∂z)` of [`reset`] at `z`, `u` (reset amount `d`); the second is 0
/// when the reset is detached.
#[inline(always)]
pub fn reset_partials<N: Num>(f: Family, z: N, u: N, d: N, r: N) -> (N, N) {
    let (one, zero) = (u.lit(1.0), u.lit(0.0));
    let (du, dz) = match f.reset {
        Reset::Value => (one - z, r - u),
        Reset::Subtract => (one, -d),
        Reset::None => (one, zero.clone()),
    };
    match f.reset_grad {
        ResetGrad::Attached => (du, dz),
        ResetGrad::Detached => (du, zero),
    }
}

/// What a GPU kernel can report through its error word: one table whose numbers the CUDA
/// prelude and the WGSL kernels print, and whose messages the engines show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The input of a spike-linear layer holds a value other than 0 or 1.
    NotBinary,
    /// An integer division by zero.
    DivZero,
    /// A Gather index out of range.
    Index,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 3] = [Fault::NotBinary, Fault::DivZero, Fault::Index];

    /// The number a kernel stores for this fault (never 0, which means no fault).
    pub const fn code(self) -> u32 {
        match self {
            Fault::NotBinary => 1,
            Fault::DivZero => 2,
            Fault::Index => 3,
        }
    }

    /// The fault of a stored number, if it is one.
    pub fn from_code(code: u32) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.code() == code)
    }

    /// What went wrong, for an error message.
    pub fn message(self) -> &'static str {
        match self {
            Fault::NotBinary => "the input of a spike-linear layer must be 0/1",
            Fault::DivZero => "integer division by zero",
            Fault::Index => "an index is out of range for its axis",
        }
    }
}
