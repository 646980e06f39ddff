use crate::{ConvSpec, DType, IafParams, PoolSpec, ResetParams, SliceSpec, Surrogate, Tensor};

/// An operation of the IR.
///
/// Primitive ops follow ONNX semantics (opset 13–20). Inputs that ONNX passes as tensors but that
/// must be static here (Reshape's shape, Unsqueeze/Squeeze axes) are attributes. The SNN ops are
/// Θ ([`Op::Spike`]) and the four `snn` ops of SPEC §2. [`Op::Linear`], [`Op::SpikeLinear`] and
/// [`Op::SpikeReset`] are fused ops that only the optimizer introduces.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Y = alpha·op(A)·op(B) + beta·C; inputs A, B, optional C.
    Gemm {
        /// Scale of the product.
        alpha: f32,
        /// Scale of C.
        beta: f32,
        /// Transpose A first.
        trans_a: bool,
        /// Transpose B first.
        trans_b: bool,
    },
    /// NumPy matmul with batch broadcasting; inputs A, B.
    MatMul,
    /// Elementwise a + b with broadcasting.
    Add,
    /// Elementwise a − b with broadcasting.
    Sub,
    /// Elementwise a · b with broadcasting.
    Mul,
    /// Elementwise a / b with broadcasting.
    Div,
    /// Elementwise −x.
    Neg,
    /// Elementwise a > b (bool result).
    Greater,
    /// Elementwise a < b (bool result).
    Less,
    /// Elementwise a ≥ b (bool result).
    GreaterOrEqual,
    /// Elementwise a ≤ b (bool result).
    LessOrEqual,
    /// Elementwise a == b (bool result; any dtype, both the same).
    Equal,
    /// Elementwise logical not of a bool tensor.
    Not,
    /// Elementwise |x|.
    Abs,
    /// Elementwise sign: −1, 0 or 1 (NaN stays NaN).
    Sign,
    /// Elementwise ⌊x⌋.
    Floor,
    /// Elementwise max(a, b) with broadcasting (NaN if either is NaN).
    Max,
    /// Elementwise min(a, b) with broadcasting (NaN if either is NaN).
    Min,
    /// min(max(x, lo), hi) with optional bounds: inputs x, optional lo, optional hi (scalars
    /// or broadcastable tensors of x's dtype).
    Clip,
    /// ONNX Slice with static starts, ends, axes and steps (clamped to the input's extent).
    Slice(SliceSpec),
    /// Element type conversion.
    Cast {
        /// Target type.
        to: DType,
    },
    /// where(cond, x, y) with broadcasting.
    Where,
    /// Gather along `axis` with integer indices (input 1); negative indices count from the end.
    Gather {
        /// Axis of data to index.
        axis: i64,
    },
    /// Inserts size-1 dimensions at `axes` (axes of the output).
    Unsqueeze {
        /// Output axes of the new dimensions.
        axes: Vec<i64>,
    },
    /// Removes size-1 dimensions at `axes` (all size-1 dimensions when empty).
    Squeeze {
        /// Axes to remove.
        axes: Vec<i64>,
    },
    /// Concatenation along `axis`.
    Concat {
        /// The axis.
        axis: i64,
    },
    /// Reshape to `shape` (ONNX rules: 0 copies the input dimension, one −1 is inferred).
    Reshape {
        /// Target shape.
        shape: Vec<i64>,
    },
    /// Permutes dimensions (reverses them when `perm` is empty).
    Transpose {
        /// The permutation.
        perm: Vec<usize>,
    },
    /// A constant value; no inputs.
    Constant {
        /// The value.
        value: Tensor,
    },
    /// Copy.
    Identity,
    /// PyTorch's `detach()`: a copy whose backward passes no gradient. Plain exports lose it;
    /// `--reset-grad` puts it back on the resets of the layers the user names (SPEC §1.1).
    Detach,
    /// max(x, 0).
    Relu,
    /// 1 / (1 + e^−x).
    Sigmoid,
    /// tanh(x).
    Tanh,
    /// ONNX `Conv` (1-D or 2-D; strides, per-side padding, dilation, groups): X [..., C, D…],
    /// W [M, C/group, K…], optional bias [M] → Y [..., M, O…]; see [`ConvSpec`].
    Conv(ConvSpec),
    /// Sum, average or max pooling (1-D or 2-D): X [..., C, D…] → Y [..., C, O…]; see
    /// [`PoolSpec`]. Named `SumPool`, `AveragePool` or `MaxPool` by its kind.
    Pool(PoolSpec),
    /// Θ(x) = 1 if x > 0 else 0, with `surrogate` as its backward.
    Spike {
        /// Backward of Θ.
        surrogate: Surrogate,
    },
    /// `snn.IAF`: X [T,B,N], optional V0 [B,N] → Z [T,B,N], optional V_T [B,N].
    Iaf(IafParams),
    /// `snn.IAFRecurrent`: X [T,B,I], W [H,I], R [H,H], optional V0, Z0 [B,H] →
    /// Z [T,B,H], optional V_T, Z_T [B,H].
    IafRecurrent(IafParams),
    /// `snn.IAFFeedForwardStep`: X [B,N], V [B,N] → Z [B,N], V_new [B,N].
    IafFeedForwardStep(IafParams),
    /// `snn.IAFStep`: X [B,I], Z [B,H], V [B,H], W [H,I], R [H,H] → Z_new [B,H], V_new [B,H].
    IafStep(IafParams),
    /// A linear layer over the last axis: X [..., K], W, optional bias [N] → Y [..., N] with
    /// Y = X·op(W) + bias, where op(W) = Wᵀ for W [N,K] (`trans_b`, PyTorch's layout) and W for
    /// W [K,N]. Every leading axis of X is a row, so one Linear over [T,B,K] is the GEMM of all
    /// T·B rows at once.
    Linear {
        /// W is stored [N,K] and used transposed.
        trans_b: bool,
    },
    /// [`Op::Linear`] whose input X is binary (spikes, 0 or 1): the same function, which an
    /// engine may compute event-driven, as the sum of the weight rows of the active inputs.
    /// Gradients flow to X as for `Linear` (the surrogate of the spikes needs them).
    SpikeLinear {
        /// W is stored [N,K] and used transposed.
        trans_b: bool,
    },
    /// Fused spike-and-reset: V̂ [..., N] → the spikes Z and the potential V after the reset,
    /// both [..., N], parameters per neuron (the last axis). With Norse's family choices,
    /// Z = Θ(V̂ − v_th) and V = (1 − Z)·V̂ + Z·v_reset (with v_reset = 0 the select
    /// V = Z ? 0 : V̂); the other members compute Z and V as SPEC §1.1 defines. Its backward
    /// includes the surrogate path through Z into the reset unless the reset is detached.
    SpikeReset(ResetParams),
}

impl Op {
    /// The op's name: the ONNX `op_type` (or `Spike` for Θ).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Gemm { .. } => "Gemm",
            Op::MatMul => "MatMul",
            Op::Add => "Add",
            Op::Sub => "Sub",
            Op::Mul => "Mul",
            Op::Div => "Div",
            Op::Neg => "Neg",
            Op::Greater => "Greater",
            Op::Less => "Less",
            Op::GreaterOrEqual => "GreaterOrEqual",
            Op::LessOrEqual => "LessOrEqual",
            Op::Equal => "Equal",
            Op::Not => "Not",
            Op::Abs => "Abs",
            Op::Sign => "Sign",
            Op::Floor => "Floor",
            Op::Max => "Max",
            Op::Min => "Min",
            Op::Clip => "Clip",
            Op::Slice(_) => "Slice",
            Op::Cast { .. } => "Cast",
            Op::Where => "Where",
            Op::Gather { .. } => "Gather",
            Op::Unsqueeze { .. } => "Unsqueeze",
            Op::Squeeze { .. } => "Squeeze",
            Op::Concat { .. } => "Concat",
            Op::Reshape { .. } => "Reshape",
            Op::Transpose { .. } => "Transpose",
            Op::Constant { .. } => "Constant",
            Op::Identity => "Identity",
            Op::Detach => "Detach",
            Op::Relu => "Relu",
            Op::Sigmoid => "Sigmoid",
            Op::Tanh => "Tanh",
            Op::Conv(_) => "Conv",
            Op::Pool(p) => p.kind.name(),
            Op::Spike { .. } => "Spike",
            Op::Iaf(_) => "IAF",
            Op::IafRecurrent(_) => "IAFRecurrent",
            Op::IafFeedForwardStep(_) => "IAFFeedForwardStep",
            Op::IafStep(_) => "IAFStep",
            Op::Linear { .. } => "Linear",
            Op::SpikeLinear { .. } => "SpikeLinear",
            Op::SpikeReset(_) => "SpikeReset",
        }
    }

    /// The (minimum, maximum) number of inputs; trailing optional inputs may be absent and
    /// optional inputs in the middle are `None`.
    pub fn input_arity(&self) -> (usize, usize) {
        match self {
            Op::Gemm { .. } => (2, 3),
            Op::MatMul
            | Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Greater
            | Op::Less
            | Op::GreaterOrEqual
            | Op::LessOrEqual
            | Op::Equal
            | Op::Max
            | Op::Min
            | Op::Gather { .. } => (2, 2),
            Op::Clip => (1, 3),
            Op::Where => (3, 3),
            Op::Concat { .. } => (1, usize::MAX),
            Op::Constant { .. } => (0, 0),
            // A cell with a synaptic current takes its state U as one more (optional) input.
            Op::Iaf(p) => (1, 2 + usize::from(p.leak.has_current())),
            Op::IafRecurrent(p) => (3, 5 + usize::from(p.leak.has_current())),
            Op::IafFeedForwardStep(p) => (2, 2 + usize::from(p.leak.has_current())),
            Op::IafStep(p) => (5, 5 + usize::from(p.leak.has_current())),
            Op::Linear { .. } | Op::SpikeLinear { .. } | Op::Conv(_) => (2, 3),
            _ => (1, 1),
        }
    }

    /// The number of outputs the op can produce (optional ones may be left unbound).
    /// A cell with a synaptic current reports its state U last.
    pub fn output_count(&self) -> usize {
        let current = |p: &IafParams| usize::from(p.leak.has_current());
        match self {
            Op::Iaf(p) | Op::IafFeedForwardStep(p) | Op::IafStep(p) => 2 + current(p),
            Op::SpikeReset(_) => 2,
            Op::IafRecurrent(p) => 3 + current(p),
            _ => 1,
        }
    }

    /// The integrate-and-fire parameters of the four `snn` ops.
    pub fn iaf_params(&self) -> Option<&IafParams> {
        match self {
            Op::Iaf(p) | Op::IafRecurrent(p) | Op::IafFeedForwardStep(p) | Op::IafStep(p) => {
                Some(p)
            }
            _ => None,
        }
    }
}
