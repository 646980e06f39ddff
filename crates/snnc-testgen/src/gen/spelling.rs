//! The plain-export spellings of one integrate-and-fire layer (SPEC §1.1, §3): how each
//! library's exporter writes the comparison, the reset, the recurrent current, the threshold
//! constant and the per-step reads and writes, and the fused cell the optimizer should make of
//! them.

use std::fmt;

use snnc_ir::{Family, Order, Reset, ResetGrad, Spikes, Threshold};

use crate::Rng;

/// How the spike decision is written (each then cast to float).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Compare {
    /// `Greater(v − th, 0)` (Norse, snnTorch).
    SubGreater,
    /// `Greater(v, th)`.
    Greater,
    /// `Less(th, v)`.
    Less,
    /// `GreaterOrEqual(v − th, 0)` (SpikingJelly, sinabs).
    SubGreaterOrEqual,
    /// `GreaterOrEqual(v, th)`.
    GreaterOrEqual,
    /// `LessOrEqual(th, v)`.
    LessOrEqual,
}

impl Compare {
    /// Every comparison.
    pub const ALL: [Compare; 6] = [
        Compare::SubGreater,
        Compare::Greater,
        Compare::Less,
        Compare::SubGreaterOrEqual,
        Compare::GreaterOrEqual,
        Compare::LessOrEqual,
    ];

    /// The family's threshold choice it spells.
    pub fn threshold(self) -> Threshold {
        match self {
            Compare::SubGreater | Compare::Greater | Compare::Less => Threshold::Gt,
            _ => Threshold::Ge,
        }
    }
}

/// How the reset (and with it the spike count) is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResetKind {
    /// `(1 − z)·v + z·v_reset` in some operand order (Norse, SpikingJelly hard reset); with
    /// v_reset = 0 the `z·v_reset` term is kept (`z·0`) or dropped.
    Value,
    /// `v − z·v` (a reset to 0).
    SubZv,
    /// `v·Cast(z == 0)` (sinabs `MembraneReset`; a reset to 0, detached by structure).
    Mask,
    /// `Where(decision, v_reset, v)` (detached by structure).
    Where,
    /// `v − z·v_th` (SpikingJelly soft reset, snnTorch and sinabs `subtract`).
    Subtract,
    /// `v − z` with v_th = 1 (the exporter folds `z·1`).
    SubtractOne,
    /// snnTorch's late reset: the state is the potential before the reset, and step t computes
    /// `(v + I) − z_{t−1}·v_th` (`− z_{t−1}` when v_th = 1).
    Late,
    /// sinabs' truncating multi-spike, `z = Cast(Greater(v, 0))·(Sign(d)·Floor(Abs(d)))` with
    /// d = v (v_th = 1) or `v / v_th`, and the reset `v − z·v_th` (`v − z`).
    Multi,
    /// No reset at all (snnTorch `reset_mechanism="none"`): v = v̂.
    NoReset,
}

impl ResetKind {
    /// Every reset spelling.
    pub const ALL: [ResetKind; 9] = [
        ResetKind::Value,
        ResetKind::SubZv,
        ResetKind::Mask,
        ResetKind::Where,
        ResetKind::Subtract,
        ResetKind::SubtractOne,
        ResetKind::Late,
        ResetKind::Multi,
        ResetKind::NoReset,
    ];

    /// Whether the spelling resets to 0 only.
    pub fn resets_to_zero(self) -> bool {
        !matches!(self, ResetKind::Value | ResetKind::Where)
    }

    /// Whether the spelling needs v_th = 1.
    pub fn needs_unit_threshold(self) -> bool {
        self == ResetKind::SubtractOne
    }

    /// Whether the spelling exists only integrate-then-fire (the libraries that write it).
    pub fn integrate_then_fire_only(self) -> bool {
        matches!(self, ResetKind::Late | ResetKind::Multi)
    }
}

/// How the linear maps of a recurrent layer are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecLinear {
    /// `Gemm(x, W, transB)` and `Gemm(z, R, transB)`.
    Gemm,
    /// The same with a bias on each (snnTorch `RLeaky`).
    GemmBias,
    /// `MatMul(x, Wᵀ)` and `MatMul(z, Rᵀ)` (weights stored transposed).
    MatMul,
}

/// Where the recurrent term joins the potential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Assoc {
    /// `v + (Wx + Rz)`.
    CurrentFirst,
    /// `(v + Wx) + Rz`.
    StateFirst,
}

/// The shape of the threshold (and reset) constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ThShape {
    /// A scalar (one value for every neuron).
    Scalar,
    /// `[N]`.
    N,
    /// `[1, N]`.
    OneN,
    /// `[1, 1, N]`, against a per-step potential of shape `[1, B, N]` ([`Read::Keep`]).
    OneOneN,
}

/// How a step's input is read from the sequence before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Read {
    /// `Gather(S, t)` on the time axis (Norse, snnTorch, sinabs), or the step value itself.
    Gather,
    /// SpikingJelly: `Squeeze(Slice(S, [t, t+1]))` on the time axis (multi-step mode), and
    /// `Squeeze(Slice(Unsqueeze(x_t, 0), [0, 1]), 0)` of a step value (single-step mode).
    SliceSqueeze,
    /// `Slice(S, [t, t+1])` on the time axis, kept `[1, B, N]`: the whole step has a leading
    /// axis of 1 (with [`ThShape::OneOneN`] constants); the spikes are joined by `Concat`
    /// without `Unsqueeze`.
    Keep,
}

/// How a step's spikes are passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Write {
    /// As they are.
    Plain,
    /// SpikingJelly single-step mode: `Gather(Unsqueeze(z, 0), 0)`.
    UnsqueezeGather,
}

/// Every choice of one plain-export layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Spelling {
    /// The comparison (ignored by [`ResetKind::Multi`], which compares with 0).
    pub compare: Compare,
    /// The reset.
    pub reset: ResetKind,
    /// The recurrent current's spelling (recurrent layers only).
    pub rec: Option<(RecLinear, Assoc)>,
    /// The threshold constant's shape.
    pub th: ThShape,
    /// How steps are read.
    pub read: Read,
    /// How spikes are passed on.
    pub write: Write,
    /// Whether the threshold and the literal 1 share one constant (v_th = 1 only).
    pub shared_one: bool,
    /// Whether a zero reset is still written as `z·0` in the value reset.
    pub zero_term: bool,
    /// Whether operands are written in the mirrored order (products, sums).
    pub swapped: bool,
}

impl Spelling {
    /// A random spelling for a layer (`rec`: recurrent; `time_major`: the case's layout).
    pub fn draw(rng: &mut Rng, rec: bool, time_major: bool) -> Spelling {
        let compare = *rng.pick(&Compare::ALL);
        let reset = *rng.pick(&ResetKind::ALL);
        let rec = rec.then(|| {
            let lin = *rng.pick(&[RecLinear::Gemm, RecLinear::GemmBias, RecLinear::MatMul]);
            (lin, *rng.pick(&[Assoc::CurrentFirst, Assoc::StateFirst]))
        });
        let mut th = *rng.pick(&[ThShape::Scalar, ThShape::N, ThShape::OneN, ThShape::OneOneN]);
        let mut read = *rng.pick(&[Read::Gather, Read::SliceSqueeze]);
        if th == ThShape::OneOneN {
            // A [1, 1, N] constant broadcasts a [B, N] potential to [1, B, N]: it goes with a
            // step kept [1, B, N], which the recurrent Gemm cannot take.
            if rec.is_none() && time_major {
                read = Read::Keep;
            } else {
                th = ThShape::OneN;
            }
        }
        Spelling {
            compare,
            reset,
            rec,
            th,
            read,
            write: *rng.pick(&[Write::Plain, Write::UnsqueezeGather]),
            shared_one: rng.chance(0.5),
            zero_term: rng.chance(0.5),
            swapped: rng.chance(0.5),
        }
    }

    /// The family (SPEC §1.1) of the cell this spelling is, read as the optimizer should read
    /// it: with `reset_grad` the compile-time choice for an arithmetic reset.
    pub fn family(&self, reset_grad: ResetGrad) -> Family {
        let mut f = Family { threshold: self.compare.threshold(), reset_grad, ..Family::NORSE };
        match self.reset {
            ResetKind::Value | ResetKind::SubZv => {}
            ResetKind::Mask | ResetKind::Where => f.reset_grad = ResetGrad::Detached,
            ResetKind::Subtract | ResetKind::SubtractOne | ResetKind::Late => {
                f.reset = Reset::Subtract
            }
            ResetKind::Multi => {
                f.reset = Reset::Subtract;
                f.threshold = Threshold::Ge;
                f.spikes = Spikes::Multi;
            }
            ResetKind::NoReset => f.reset = Reset::None,
        }
        f
    }

    /// The update order the spelling is written in, from the drawn one.
    pub fn order(&self, drawn: Order) -> Order {
        if self.reset.integrate_then_fire_only() {
            Order::IntegrateThenFire
        } else {
            drawn
        }
    }
}

impl fmt::Display for Spelling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cmp = if self.reset == ResetKind::Multi {
            "Greater(v,0)·trunc".to_string()
        } else {
            format!("{:?}", self.compare)
        };
        write!(f, "{cmp} {:?} th{:?} {:?} {:?}", self.reset, self.th, self.read, self.write)?;
        if let Some((lin, assoc)) = self.rec {
            write!(f, " {lin:?} {assoc:?}")?;
        }
        Ok(())
    }
}
