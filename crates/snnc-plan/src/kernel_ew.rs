//! Elementwise kernels (a fused register program over broadcast inputs, and the gradient of
//! one operand) and the data-movement kernels.
//!
//! Every value is stored as f32, whatever its IR dtype: bool as 0/1, i64 as its value (exact
//! below 2²⁴; shapes and indices are far smaller), f64 computed in f32.

use snnc_ir::Surrogate;

use crate::BufId;

/// A register of an [`EwK`] program.
pub type Reg = u16;

/// One-operand elementwise operations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnOp {
    /// −x.
    Neg,
    /// max(x, 0), keeping NaN and −0.
    Relu,
    /// 1 / (1 + e^−x), computed in f64 and rounded.
    Sigmoid,
    /// tanh(x), computed in f64 and rounded.
    Tanh,
    /// Θ(x): 1 if x > 0 else 0.
    Theta,
    /// Cast to integer: truncation toward zero (saturating, NaN gives 0).
    Trunc,
    /// Cast to bool: 1 if x ≠ 0 (NaN included) else 0.
    NonZero,
    /// Logical not of 0/1: 1 if x = 0 else 0.
    Not,
    /// |x|.
    Abs,
    /// −1, 0 or 1 by the sign of x (zeros and NaN unchanged).
    Sign,
    /// ⌊x⌋.
    Floor,
}

/// Two-operand elementwise operations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinOp {
    /// a + b.
    Add,
    /// a − b.
    Sub,
    /// a · b.
    Mul,
    /// a / b.
    Div,
    /// Integer division, truncated toward zero; a zero divisor is an error.
    DivInt,
    /// 1 if a > b else 0.
    Greater,
    /// 1 if a < b else 0.
    Less,
    /// 1 if a ≥ b else 0.
    GreaterOrEqual,
    /// 1 if a ≤ b else 0.
    LessOrEqual,
    /// 1 if a = b else 0.
    Equal,
    /// max(a, b), NaN if either is NaN.
    Max,
    /// min(a, b), NaN if either is NaN.
    Min,
}

/// One instruction of an [`EwK`] program.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Instr {
    /// `dst = inputs[input]` (broadcast to the kernel's shape).
    Load {
        /// Destination register.
        dst: Reg,
        /// Input index.
        input: u16,
    },
    /// `dst = op(a)`.
    Un {
        /// Destination register.
        dst: Reg,
        /// The operation.
        op: UnOp,
        /// Operand register.
        a: Reg,
    },
    /// `dst = op(a, b)`.
    Bin {
        /// Destination register.
        dst: Reg,
        /// The operation.
        op: BinOp,
        /// First operand.
        a: Reg,
        /// Second operand.
        b: Reg,
    },
    /// `dst = c ≠ 0 ? a : b`.
    Select {
        /// Destination register.
        dst: Reg,
        /// Condition.
        c: Reg,
        /// Value where the condition holds.
        a: Reg,
        /// Value elsewhere.
        b: Reg,
    },
}

/// An input of an elementwise kernel with its own shape, broadcast (NumPy rules) to the
/// kernel's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct EwInput {
    /// The buffer.
    pub buf: BufId,
    /// Its shape.
    pub shape: Vec<usize>,
}

/// A fused chain of elementwise ops: a register program run over every element of `shape`
/// (in blocks), storing some registers to buffers of that shape.
#[derive(Debug, Clone, PartialEq)]
pub struct EwK {
    /// The iteration (and output) shape.
    pub shape: Vec<usize>,
    /// Inputs.
    pub inputs: Vec<EwInput>,
    /// The program, in order.
    pub code: Vec<Instr>,
    /// Number of registers.
    pub regs: u16,
    /// `(register, buffer)`: what is written out.
    pub stores: Vec<(Reg, BufId)>,
}

/// How the gradient term of one operand is computed from the upstream gradient `g` and the
/// kernel's operands `o0, o1, …` (in f64).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GradRule {
    /// `c·g` (Add, Sub, Neg, Identity-like ops; Gemm's C with c = beta).
    Scale(f32),
    /// `g·o0` (Mul).
    Mul,
    /// `g / o0` (Div, numerator; o0 = b).
    DivNum,
    /// `−g·o0 / o1²` (Div, denominator; o0 = a, o1 = b).
    DivDen,
    /// The spike of plain exports: with `d = g·σ'(o0 − o1)` for Greater or `d = −g·σ'(o1 − o0)`
    /// for Less, `d` for the first operand and `−d` for the second (`wrt_b`).
    Compare {
        /// Greater (else Less).
        greater: bool,
        /// The gradient of the second operand.
        wrt_b: bool,
        /// σ'.
        surrogate: Surrogate,
    },
    /// `o0 > 0 ? g : 0`.
    Relu,
    /// `g·s·(1 − s)` with `s = sigmoid(o0)`.
    Sigmoid,
    /// `g·(1 − tanh²(o0))`.
    Tanh,
    /// `g·σ'(o0)`.
    Spike(Surrogate),
    /// `g·sign(o0)`, 0 at 0 (Abs).
    Abs,
    /// Max/Min of `(o0, o1)`: the operand that was taken gets `g`, ties split `g/2` (as
    /// `torch.maximum`); `wrt_b` selects the second operand's term.
    Extremum {
        /// Max (else Min).
        max: bool,
        /// The gradient of the second operand.
        wrt_b: bool,
    },
    /// Clip of `o0` between the present bounds `o1…` (lo first): `part` 0 is x's term
    /// (`g` where lo ≤ x ≤ hi), 1 lo's (`g` where x < lo), 2 hi's (`g` where x > hi, x ≥ lo).
    Clip {
        /// Whose term: 0 x, 1 lo, 2 hi.
        part: u8,
        /// Whether lo is an operand.
        lo: bool,
        /// Whether hi is an operand.
        hi: bool,
    },
    /// `o0 ≠ 0 ? g : 0` (Where, x).
    WhereTrue,
    /// `o0 ≠ 0 ? 0 : g` (Where, y).
    WhereFalse,
}

/// The gradient of one operand of an elementwise op: the term of [`GradRule`] at every element
/// of `shape`, summed down to `dst_shape` (the operand's shape, NumPy broadcasting).
#[derive(Debug, Clone, PartialEq)]
pub struct EwGradK {
    /// The op's output shape.
    pub shape: Vec<usize>,
    /// Upstream gradient (of `shape`).
    pub g: BufId,
    /// Forward operands the rule reads.
    pub operands: Vec<EwInput>,
    /// The rule.
    pub rule: GradRule,
    /// The operand's gradient.
    pub dst: BufId,
    /// The operand's shape.
    pub dst_shape: Vec<usize>,
    /// Accumulate into `dst`.
    pub acc: bool,
    /// Links applied to `g` before `rule`, in order, each term rounded to f32 (the value an
    /// unfused chain stores): `g` is then the gradient of the last op of a chain of elementwise
    /// ops of `shape` whose intermediate gradients nothing else reads (pass `fuse-gradients`).
    /// Empty for a single op.
    pub pre: Vec<GradStage>,
}

/// One link of a chain of elementwise gradients ([`EwGradK::pre`]): the term of `rule` from the
/// gradient so far and `operands` (broadcast to the kernel's `shape`), with no reduction.
#[derive(Debug, Clone, PartialEq)]
pub struct GradStage {
    /// The rule.
    pub rule: GradRule,
    /// Forward operands the rule reads.
    pub operands: Vec<EwInput>,
}

/// Gather along an axis, data viewed `[outer, dim, inner]`: forward `dst[o, j, :] =
/// src[o, idx[j], :]`; as [`Kernel::GatherBack`](crate::Kernel::GatherBack),
/// `dst[o, idx[j], :] += src[o, j, :]`.
#[derive(Debug, Clone, PartialEq)]
pub struct GatherK {
    /// Product of the axes before the gathered one.
    pub outer: usize,
    /// Size of the gathered axis.
    pub dim: usize,
    /// Product of the axes after it.
    pub inner: usize,
    /// Indices (negative ones count from the end; out of range is an error).
    pub indices: BufId,
    /// Number of indices.
    pub n_idx: usize,
    /// Source.
    pub src: BufId,
    /// Destination.
    pub dst: BufId,
    /// Accumulate (backward only).
    pub acc: bool,
}

/// Concatenation along an axis: parts `[outer, d_i, inner]` into `[outer, Σ d_i, inner]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcatK {
    /// Product of the axes before the axis.
    pub outer: usize,
    /// Product of the axes after it.
    pub inner: usize,
    /// Each part and its extent along the axis.
    pub parts: Vec<(BufId, usize)>,
    /// The result.
    pub dst: BufId,
}

/// `dst (+)= src[:, start..start + len, :]` for src `[outer, src_dim, inner]`; as
/// [`Kernel::Unslice`](crate::Kernel::Unslice) (Slice's gradient) the other way round:
/// `dst[:, start..start + len, :] (+)= src` for dst `[outer, src_dim, inner]`, the rest of dst
/// set to 0 unless accumulating.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceK {
    /// Product of the leading axes.
    pub outer: usize,
    /// Extent of the sliced axis in src.
    pub src_dim: usize,
    /// First index.
    pub start: usize,
    /// Length.
    pub len: usize,
    /// Product of the trailing axes.
    pub inner: usize,
    /// Source.
    pub src: BufId,
    /// Destination `[outer, len, inner]`.
    pub dst: BufId,
    /// Accumulate.
    pub acc: bool,
}

/// `dst (+)= transpose(src, perm)`: output axis `i` is input axis `perm[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransposeK {
    /// The source's shape.
    pub shape: Vec<usize>,
    /// The permutation.
    pub perm: Vec<usize>,
    /// Source.
    pub src: BufId,
    /// Destination.
    pub dst: BufId,
    /// Accumulate.
    pub acc: bool,
}

/// `dst (+)= src`, `len` elements.
#[derive(Debug, Clone, PartialEq)]
pub struct AddIntoK {
    /// Source.
    pub src: BufId,
    /// Destination.
    pub dst: BufId,
    /// Elements.
    pub len: usize,
    /// Accumulate (else copy).
    pub acc: bool,
}
