//! The operator of an e-node: an IR op with its attributes, or a leaf or a projection.
//!
//! Attributes are part of the operator, so two e-nodes match only when their attributes are
//! bit-identical (floats compare by bits, which makes `Sym` hashable and totally ordered).

use snnc_ir::{
    ConvSpec, DType, Family, IafParams, Leak, Method, Op, Order, PoolSpec, ResetParams, SliceSpec,
    Surrogate, Threshold, VOut,
};

/// An f32 attribute, compared and hashed by its bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bits(pub u32);

impl Bits {
    /// The bits of `x`.
    pub fn of(x: f32) -> Self {
        Bits(x.to_bits())
    }

    /// The float.
    pub fn get(self) -> f32 {
        f32::from_bits(self.0)
    }
}

/// A surrogate gradient, hashable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sg {
    /// The method.
    pub method: Method,
    /// Its alpha.
    pub alpha: Bits,
}

impl Sg {
    /// The hashable form of `s`.
    pub fn of(s: &Surrogate) -> Self {
        Sg { method: s.method, alpha: Bits::of(s.alpha) }
    }

    /// The IR surrogate.
    pub fn get(self) -> Surrogate {
        Surrogate { method: self.method, alpha: self.alpha.get() }
    }
}

/// Neuron parameters shared by the spike-and-reset op and the integrate-and-fire ops.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Neuron {
    /// Threshold(s), one or one per neuron.
    pub v_th: Vec<Bits>,
    /// Reset potential(s), one or one per neuron.
    pub v_reset: Vec<Bits>,
    /// The surrogate.
    pub sg: Sg,
    /// Threshold, reset, reset gradient and spike count (SPEC §1.1).
    pub family: Family,
    /// α, β, γ and v_leak (SPEC §1.2), in that order, and which potential V_T reports; the
    /// integrate-and-fire cell's ([`Neuron::IF_LEAK`]) for a fused reset.
    pub leak: ([Vec<Bits>; 4], VOut),
    /// What the `subtract` reset removes per spike; `None`: v_th.
    pub amount: Option<Vec<Bits>>,
}

impl Neuron {
    /// The integrate-and-fire cell's leak: α = 0, β = γ = 1, v_leak = 0, V_T after the reset.
    pub fn if_leak() -> ([Vec<Bits>; 4], VOut) {
        Self::leak_of(&Leak::default(), VOut::AfterReset)
    }

    fn leak_of(l: &Leak, v_out: VOut) -> ([Vec<Bits>; 4], VOut) {
        let b = |v: &[f32]| v.iter().map(|&x| Bits::of(x)).collect();
        ([b(&l.alpha), b(&l.beta), b(&l.gamma), b(&l.v_leak)], v_out)
    }

    /// True when the neuron is the integrate-and-fire cell (no current, no leak, V_T after
    /// the reset): the cell every rule that spells out a step assumes.
    pub fn is_if(&self) -> bool {
        self.leak == Self::if_leak()
    }

    /// A neuron with no parameters: rules that scan by operator kind use it, since the kind
    /// ignores attributes.
    pub fn probe() -> Self {
        Neuron {
            v_th: Vec::new(),
            v_reset: Vec::new(),
            sg: Sg::of(&Surrogate::default()),
            family: Family::NORSE,
            leak: Self::if_leak(),
            amount: None,
        }
    }

    /// From the fused reset's parameters.
    pub fn of_reset(p: &ResetParams) -> Self {
        Neuron {
            v_th: p.v_th.iter().map(|&x| Bits::of(x)).collect(),
            v_reset: p.v_reset.iter().map(|&x| Bits::of(x)).collect(),
            sg: Sg::of(&p.surrogate),
            family: p.family,
            leak: Self::if_leak(),
            amount: bits_of(&p.reset_amount),
        }
    }

    /// From an integrate-and-fire op's parameters (without the order).
    pub fn of_iaf(p: &IafParams) -> Self {
        Neuron {
            v_th: p.v_th.iter().map(|&x| Bits::of(x)).collect(),
            v_reset: p.v_reset.iter().map(|&x| Bits::of(x)).collect(),
            sg: Sg::of(&p.surrogate),
            family: p.family,
            leak: Self::leak_of(&p.leak, p.v_out),
            amount: bits_of(&p.reset_amount),
        }
    }

    /// The fused reset's parameters.
    pub fn reset(&self) -> ResetParams {
        ResetParams {
            v_th: self.v_th.iter().map(|b| b.get()).collect(),
            v_reset: self.v_reset.iter().map(|b| b.get()).collect(),
            surrogate: self.sg.get(),
            family: self.family,
            reset_amount: self.amount.as_ref().map(|a| a.iter().map(|b| b.get()).collect()),
        }
    }

    /// Integrate-and-fire parameters with update order `order`.
    pub fn iaf(&self, order: Order) -> IafParams {
        let f = |v: &[Bits]| v.iter().map(|b| b.get()).collect();
        let ([a, b, g, vl], v_out) = &self.leak;
        IafParams {
            leak: Leak { alpha: f(a), beta: f(b), gamma: f(g), v_leak: f(vl) },
            v_out: *v_out,
            ..self.reset().to_iaf(order)
        }
    }

    /// True when every reset potential is +0 or −0.
    pub fn resets_to_zero(&self) -> bool {
        self.v_reset.iter().all(|b| b.get() == 0.0)
    }
}

/// The bits of a reset amount.
fn bits_of(a: &Option<Vec<f32>>) -> Option<Vec<Bits>> {
    a.as_ref().map(|a| a.iter().map(|&x| Bits::of(x)).collect())
}

/// The operator of an e-node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sym {
    /// Graph input number `.0` (a leaf).
    Input(u32),
    /// Initializer number `.0` of the imported graph (a leaf; keeps its name).
    Init(u32),
    /// Interned constant number `.0` (a leaf: a `Constant` node's value or a folded value).
    Const(u32),
    /// An omitted optional input (a leaf).
    Absent,
    /// Output `.0` of a multi-output op (one child: the op's tuple e-class).
    Proj(u32),
    /// `Add`.
    Add,
    /// `Sub`.
    Sub,
    /// `Mul`.
    Mul,
    /// `Div`.
    Div,
    /// `Neg`.
    Neg,
    /// `Greater`.
    Greater,
    /// `Less`.
    Less,
    /// `GreaterOrEqual`.
    GreaterOrEqual,
    /// `LessOrEqual`.
    LessOrEqual,
    /// `Equal`.
    Equal,
    /// `Not`.
    Not,
    /// `Abs`.
    Abs,
    /// `Sign`.
    Sign,
    /// `Floor`.
    Floor,
    /// `Max`.
    Max,
    /// `Min`.
    Min,
    /// `Clip` (x, optional lo, optional hi).
    Clip,
    /// `Slice` with its static parameters.
    Slice(SliceSpec),
    /// `Where`.
    Where,
    /// `MatMul`.
    MatMul,
    /// `Identity`.
    Identity,
    /// `Detach`: a copy without gradient. It is never folded into its operand: the two differ
    /// in the backward pass.
    Detach,
    /// `Relu`.
    Relu,
    /// `Sigmoid`.
    Sigmoid,
    /// `Tanh`.
    Tanh,
    /// `Cast` to the dtype.
    Cast(DType),
    /// `Gather` on the axis.
    Gather(i64),
    /// `Unsqueeze` at the axes.
    Unsqueeze(Vec<i64>),
    /// `Squeeze` of the axes.
    Squeeze(Vec<i64>),
    /// `Concat` on the axis.
    Concat(i64),
    /// `Reshape` to the shape.
    Reshape(Vec<i64>),
    /// `Transpose` by the permutation.
    Transpose(Vec<usize>),
    /// `Conv` with its geometry (x, w, optional bias).
    Conv(ConvSpec),
    /// A pool (`SumPool`, `AveragePool`, `MaxPool`) with its geometry.
    Pool(PoolSpec),
    /// `Gemm`.
    Gemm {
        /// Scale of the product.
        alpha: Bits,
        /// Scale of C.
        beta: Bits,
        /// Transpose A.
        trans_a: bool,
        /// Transpose B.
        trans_b: bool,
    },
    /// `Linear`.
    Linear {
        /// W stored [N,K].
        trans_b: bool,
    },
    /// `SpikeLinear`.
    SpikeLinear {
        /// W stored [N,K].
        trans_b: bool,
    },
    /// Θ with its surrogate and comparison: `gt` is the IR's `Spike`; `ge` ([x ≥ 0], the
    /// spelling of SpikingJelly and sinabs) exists only inside the optimizer, as the spike that
    /// the reset rules fuse into a `threshold = ge` cell. It has no IR op, so it is never
    /// extracted: its class always holds the comparison it was rewritten from.
    Spike(Sg, Threshold),
    /// Fused spike-and-reset (tuple: Z, V).
    SpikeReset(Neuron),
    /// IAF sequence (tuple: Z, V_T).
    Iaf(Neuron, Order),
    /// Recurrent IAF sequence (tuple: Z, V_T, Z_T).
    IafRecurrent(Neuron, Order),
    /// `IAFFeedForwardStep` (tuple: Z, V_new).
    FfStep(Neuron, Order),
    /// `IAFStep` (tuple: Z_new, V_new).
    RecStep(Neuron, Order),
}

impl Sym {
    /// The operator of IR op `op`; `None` for `Constant`, which becomes a [`Sym::Const`] leaf.
    pub fn of_op(op: &Op) -> Option<Sym> {
        Some(match op {
            Op::Gemm { alpha, beta, trans_a, trans_b } => Sym::Gemm {
                alpha: Bits::of(*alpha),
                beta: Bits::of(*beta),
                trans_a: *trans_a,
                trans_b: *trans_b,
            },
            Op::MatMul => Sym::MatMul,
            Op::Add => Sym::Add,
            Op::Sub => Sym::Sub,
            Op::Mul => Sym::Mul,
            Op::Div => Sym::Div,
            Op::Neg => Sym::Neg,
            Op::Greater => Sym::Greater,
            Op::Less => Sym::Less,
            Op::GreaterOrEqual => Sym::GreaterOrEqual,
            Op::LessOrEqual => Sym::LessOrEqual,
            Op::Equal => Sym::Equal,
            Op::Not => Sym::Not,
            Op::Abs => Sym::Abs,
            Op::Sign => Sym::Sign,
            Op::Floor => Sym::Floor,
            Op::Max => Sym::Max,
            Op::Min => Sym::Min,
            Op::Clip => Sym::Clip,
            Op::Slice(spec) => Sym::Slice(spec.clone()),
            Op::Cast { to } => Sym::Cast(*to),
            Op::Where => Sym::Where,
            Op::Gather { axis } => Sym::Gather(*axis),
            Op::Unsqueeze { axes } => Sym::Unsqueeze(axes.clone()),
            Op::Squeeze { axes } => Sym::Squeeze(axes.clone()),
            Op::Concat { axis } => Sym::Concat(*axis),
            Op::Reshape { shape } => Sym::Reshape(shape.clone()),
            Op::Transpose { perm } => Sym::Transpose(perm.clone()),
            Op::Conv(spec) => Sym::Conv(spec.clone()),
            Op::Pool(spec) => Sym::Pool(spec.clone()),
            Op::Constant { .. } => return None,
            Op::Identity => Sym::Identity,
            Op::Detach => Sym::Detach,
            Op::Relu => Sym::Relu,
            Op::Sigmoid => Sym::Sigmoid,
            Op::Tanh => Sym::Tanh,
            Op::Spike { surrogate } => Sym::Spike(Sg::of(surrogate), Threshold::Gt),
            Op::Iaf(p) => Sym::Iaf(Neuron::of_iaf(p), p.order),
            Op::IafRecurrent(p) => Sym::IafRecurrent(Neuron::of_iaf(p), p.order),
            Op::IafFeedForwardStep(p) => Sym::FfStep(Neuron::of_iaf(p), p.order),
            Op::IafStep(p) => Sym::RecStep(Neuron::of_iaf(p), p.order),
            Op::Linear { trans_b } => Sym::Linear { trans_b: *trans_b },
            Op::SpikeLinear { trans_b } => Sym::SpikeLinear { trans_b: *trans_b },
            Op::SpikeReset(p) => Sym::SpikeReset(Neuron::of_reset(p)),
        })
    }

    /// The IR op of an operator; `None` for leaves, projections and the optimizer-only `ge`
    /// spike (which extraction therefore never picks).
    pub fn to_op(&self) -> Option<Op> {
        Some(match self {
            Sym::Input(_) | Sym::Init(_) | Sym::Const(_) | Sym::Absent | Sym::Proj(_) => {
                return None
            }
            Sym::Add => Op::Add,
            Sym::Sub => Op::Sub,
            Sym::Mul => Op::Mul,
            Sym::Div => Op::Div,
            Sym::Neg => Op::Neg,
            Sym::Greater => Op::Greater,
            Sym::Less => Op::Less,
            Sym::GreaterOrEqual => Op::GreaterOrEqual,
            Sym::LessOrEqual => Op::LessOrEqual,
            Sym::Equal => Op::Equal,
            Sym::Not => Op::Not,
            Sym::Abs => Op::Abs,
            Sym::Sign => Op::Sign,
            Sym::Floor => Op::Floor,
            Sym::Max => Op::Max,
            Sym::Min => Op::Min,
            Sym::Clip => Op::Clip,
            Sym::Slice(spec) => Op::Slice(spec.clone()),
            Sym::Where => Op::Where,
            Sym::MatMul => Op::MatMul,
            Sym::Identity => Op::Identity,
            Sym::Detach => Op::Detach,
            Sym::Relu => Op::Relu,
            Sym::Sigmoid => Op::Sigmoid,
            Sym::Tanh => Op::Tanh,
            Sym::Cast(to) => Op::Cast { to: *to },
            Sym::Gather(axis) => Op::Gather { axis: *axis },
            Sym::Unsqueeze(axes) => Op::Unsqueeze { axes: axes.clone() },
            Sym::Squeeze(axes) => Op::Squeeze { axes: axes.clone() },
            Sym::Concat(axis) => Op::Concat { axis: *axis },
            Sym::Reshape(shape) => Op::Reshape { shape: shape.clone() },
            Sym::Transpose(perm) => Op::Transpose { perm: perm.clone() },
            Sym::Conv(spec) => Op::Conv(spec.clone()),
            Sym::Pool(spec) => Op::Pool(spec.clone()),
            Sym::Gemm { alpha, beta, trans_a, trans_b } => Op::Gemm {
                alpha: alpha.get(),
                beta: beta.get(),
                trans_a: *trans_a,
                trans_b: *trans_b,
            },
            Sym::Linear { trans_b } => Op::Linear { trans_b: *trans_b },
            Sym::SpikeLinear { trans_b } => Op::SpikeLinear { trans_b: *trans_b },
            Sym::Spike(sg, Threshold::Gt) => Op::Spike { surrogate: sg.get() },
            Sym::Spike(_, Threshold::Ge) => return None,
            Sym::SpikeReset(n) => Op::SpikeReset(n.reset()),
            Sym::Iaf(n, o) => Op::Iaf(n.iaf(*o)),
            Sym::IafRecurrent(n, o) => Op::IafRecurrent(n.iaf(*o)),
            Sym::FfStep(n, o) => Op::IafFeedForwardStep(n.iaf(*o)),
            Sym::RecStep(n, o) => Op::IafStep(n.iaf(*o)),
        })
    }

    /// The IR op whose typing rule this operator follows: [`Sym::to_op`], and for the
    /// optimizer-only `ge` spike the IR's Θ (same types: elementwise, dtype kept).
    pub fn typing_op(&self) -> Option<Op> {
        match self {
            Sym::Spike(sg, _) => Some(Op::Spike { surrogate: sg.get() }),
            s => s.to_op(),
        }
    }

    /// True for the leaf operators (no children).
    pub fn is_leaf(&self) -> bool {
        matches!(self, Sym::Input(_) | Sym::Init(_) | Sym::Const(_) | Sym::Absent)
    }

    /// True for operators whose e-class is a tuple of outputs, read through [`Sym::Proj`].
    pub fn is_tuple(&self) -> bool {
        matches!(
            self,
            Sym::SpikeReset(_)
                | Sym::Iaf(..)
                | Sym::IafRecurrent(..)
                | Sym::FfStep(..)
                | Sym::RecStep(..)
        )
    }
}
