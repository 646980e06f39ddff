//! The kernels a [`Step`](crate::Step) runs: dense and event-driven linear algebra, and the
//! enum of every kernel. Integrate-and-fire kernels are in `kernel_iaf.rs`, elementwise and
//! data-movement kernels in `kernel_ew.rs`, fused pairs in `kernel_fused.rs`, convolution and
//! pooling in `kernel_window.rs`.

use crate::kernel_ew::{AddIntoK, ConcatK, EwGradK, EwK, GatherK, SliceK, TransposeK};
use crate::kernel_fused::LinearIafK;
use crate::kernel_iaf::{IafBackK, IafK, PackK, RecBackK, RecK, ResetK};
use crate::kernel_window::{ConvDwK, ConvDxK, ConvK, PoolBackK, PoolK};

/// A buffer of a [`Program`](crate::Program), by index into its buffer table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BufId(pub u32);

/// A strided matrix operand: element (i, p) at `off + i·rs + p·cs` of `buf`, where `off` comes
/// from the [`MmEntry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opnd {
    /// The buffer.
    pub buf: BufId,
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

/// One product of an [`MmK`]: operand offsets and whether C is accumulated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmEntry {
    /// Offset of A in its buffer.
    pub a_off: usize,
    /// Offset of B in its buffer.
    pub b_off: usize,
    /// Offset of C in its buffer.
    pub c_off: usize,
    /// `C += …` instead of `C = …`.
    pub acc: bool,
}

/// `C = alpha·A·B` (or `C += alpha·A·B`) for each entry, A `m × k`, B `k × n`, C `m × n` with
/// row stride `c_rs`: Gemm, MatMul (one entry per matrix of the batch) and every dX/dW product.
#[derive(Debug, Clone, PartialEq)]
pub struct MmK {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
    /// A.
    pub a: Opnd,
    /// B.
    pub b: Opnd,
    /// C (row-major).
    pub c: BufId,
    /// Row stride of C.
    pub c_rs: usize,
    /// Scale of the product.
    pub alpha: f32,
    /// The products.
    pub entries: Vec<MmEntry>,
}

/// In place: `y[i, j] = alpha·y[i, j] + beta·c[i·c_rs + j·c_cs]` for `y` `[rows, cols]` (the
/// epilogue of Gemm; strides 0 broadcast C).
#[derive(Debug, Clone, PartialEq)]
pub struct BiasK {
    /// The matrix updated in place.
    pub y: BufId,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Scale of y.
    pub alpha: f32,
    /// C, broadcast by its strides.
    pub c: Option<BufId>,
    /// Row stride of C (0: broadcast).
    pub c_rs: usize,
    /// Column stride of C (0: broadcast).
    pub c_cs: usize,
    /// Scale of C.
    pub beta: f32,
}

/// Weights for the event-driven path of a [`LinearK`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WRef {
    /// Packed at compile time: index into the plan's packed weights.
    Packed(u32),
    /// Packed when the step runs (W is computed or a graph input).
    Runtime,
}

/// `y = x·op(W) + bias` over `rows` rows: op(W) = Wᵀ for W `[n, k]` (`trans_b`) or W for
/// W `[k, n]`. With `event`, the step first tries the event-driven spike-linear kernel (x must
/// be 0/1; it falls back to the dense GEMM when it is not, or when the spikes are dense).
#[derive(Debug, Clone, PartialEq)]
pub struct LinearK {
    /// Rows of x and y.
    pub rows: usize,
    /// Input features.
    pub k: usize,
    /// Output features.
    pub n: usize,
    /// W is `[n, k]`.
    pub trans_b: bool,
    /// Input `[rows, k]`.
    pub x: BufId,
    /// Weights.
    pub w: BufId,
    /// Bias `[n]`.
    pub bias: Option<BufId>,
    /// Output `[rows, n]`.
    pub y: BufId,
    /// Try the event-driven path with these packed weights.
    pub event: Option<WRef>,
}

/// Where the spikes of a [`SpikeDwK`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeSrc {
    /// Bit-packed spikes (saved by a [`PackK`]).
    Bits(BufId),
    /// f32 data that is probably 0/1 (a graph input); the dense GEMM is used when it is not.
    Dense(BufId),
}

/// The weight gradient of a linear layer fed by spikes, event-driven: `dW = gᵀ·x` laid out
/// `[n, k]` when `trans_b`, else `[k, n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeDwK {
    /// Rows of g and x.
    pub rows: usize,
    /// Input features.
    pub k: usize,
    /// Output features.
    pub n: usize,
    /// Upstream gradient `[rows, n]`.
    pub g: BufId,
    /// The layer input.
    pub x: SpikeSrc,
    /// The weight gradient.
    pub dw: BufId,
    /// Layout `[n, k]`.
    pub trans_b: bool,
    /// Accumulate into `dw`.
    pub acc: bool,
}

/// `dst[c] (+)= Σ_r g[r, c]` (the bias gradient of a linear layer).
#[derive(Debug, Clone, PartialEq)]
pub struct SumRowsK {
    /// `[rows, cols]`.
    pub g: BufId,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// `[cols]`.
    pub dst: BufId,
    /// Accumulate.
    pub acc: bool,
}

/// Every kernel a step can run. The first group is the forward pass, the second the backward
/// pass (gradient kernels).
#[derive(Debug, Clone, PartialEq)]
pub enum Kernel {
    /// Matrix products.
    Mm(MmK),
    /// Gemm's epilogue `alpha·y + beta·C`.
    Bias(BiasK),
    /// Linear / SpikeLinear.
    Linear(LinearK),
    /// Feed-forward IAF sequence (also one `IAFFeedForwardStep`).
    Iaf(IafK),
    /// Recurrent IAF sequence (also one `IAFStep`).
    Recurrent(RecK),
    /// Fused spike-and-reset.
    Reset(ResetK),
    /// A fused chain of elementwise ops.
    Ew(EwK),
    /// Gather.
    Gather(GatherK),
    /// Concat.
    Concat(ConcatK),
    /// Transpose (also the backward of one).
    Transpose(TransposeK),
    /// Packs spikes into bits for the backward pass.
    PackBits(PackK),
    /// Reverse-time feed-forward IAF (also the backward of `SpikeReset`).
    IafBack(IafBackK),
    /// Reverse-time recurrent IAF.
    RecurrentBack(RecBackK),
    /// Event-driven weight gradient.
    SpikeDw(SpikeDwK),
    /// Bias gradient.
    SumRows(SumRowsK),
    /// Gradient of one operand of an elementwise op (summed over broadcast axes).
    EwGrad(EwGradK),
    /// Scatter-add of Gather's gradient.
    GatherBack(GatherK),
    /// A slice along an axis (Slice, and Concat's gradient).
    Slice(SliceK),
    /// `dst (+)= src`.
    AddInto(AddIntoK),
    /// A slice written back into its source's extent (Slice's gradient).
    Unslice(SliceK),
    /// An event-driven linear layer fused with the IAF layer that alone reads its output
    /// (forward).
    LinearIaf(LinearIafK),
    /// 2-D convolution (1-D as height 1).
    Conv(ConvK),
    /// A convolution's input gradient.
    ConvDx(ConvDxK),
    /// A convolution's weight and bias gradients.
    ConvDw(ConvDwK),
    /// 2-D pooling (1-D as height 1).
    Pool(PoolK),
    /// A pooling's input gradient.
    PoolBack(PoolBackK),
}

impl Kernel {
    /// The integrate-and-fire family member (SPEC §1.1) an IAF kernel computes; `None` for
    /// other kernels. Engines check it before running a plan, and refuse members they do not
    /// implement rather than compute them as another.
    pub fn family(&self) -> Option<snnc_ir::Family> {
        match self {
            Kernel::Iaf(k) => Some(k.params.family),
            Kernel::LinearIaf(k) => Some(k.iaf.params.family),
            Kernel::Recurrent(k) => Some(k.params.family),
            Kernel::Reset(k) => Some(k.family),
            Kernel::IafBack(k) => Some(k.params.family),
            Kernel::RecurrentBack(k) => Some(k.params.family),
            _ => None,
        }
    }

    /// The neuron parameters of an integrate-and-fire kernel (forward or reverse, fused or
    /// not); `None` for other kernels (`SpikeReset` has no leak).
    pub fn iaf_params(&self) -> Option<&snnc_ir::IafParams> {
        match self {
            Kernel::Iaf(k) => Some(&k.params),
            Kernel::LinearIaf(k) => Some(&k.iaf.params),
            Kernel::Recurrent(k) => Some(&k.params),
            Kernel::IafBack(k) => Some(&k.params),
            Kernel::RecurrentBack(k) => Some(&k.params),
            _ => None,
        }
    }

    /// What of the leaky cell (SPEC §1.2) an integrate-and-fire kernel computes beyond the IF
    /// cell, for an engine that implements only the IF cell to refuse it with: the attributes
    /// that differ (`alpha_syn`, `beta`, `gamma`, `v_leak`, `spikes = none`,
    /// `v_out = before_reset`, `reset_amount`), comma-separated; `None` for the IF cell and other kernels.
    pub fn leaky(&self) -> Option<String> {
        let p = self.iaf_params()?;
        let l = &p.leak;
        let mut parts = Vec::new();
        if l.has_current() {
            parts.push("alpha_syn ≠ 0");
        }
        if l.beta.iter().any(|&b| b != 1.0) {
            parts.push("beta ≠ 1");
        }
        if l.gamma.iter().any(|&g| g != 1.0) {
            parts.push("gamma ≠ 1");
        }
        // v_leak cancels out without a leak (β = γ = 1).
        if !l.is_integrating() && l.v_leak.iter().any(|&v| v != 0.0) {
            parts.push("v_leak");
        }
        if p.family.is_integrator() {
            parts.push("spikes = none");
        }
        if p.v_out == snnc_ir::VOut::BeforeReset {
            parts.push("v_out = before_reset");
        }
        if p.reset_amount.is_some() {
            parts.push("reset_amount");
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// A short name of the kernel, for listings and statistics.
    pub fn name(&self) -> &'static str {
        match self {
            Kernel::Mm(_) => "mm",
            Kernel::Bias(_) => "bias",
            Kernel::Linear(k) if k.event.is_some() => "linear-event",
            Kernel::Linear(_) => "linear",
            Kernel::Iaf(_) => "iaf",
            Kernel::Recurrent(_) => "iaf-recurrent",
            Kernel::Reset(_) => "spike-reset",
            Kernel::Ew(_) => "elementwise",
            Kernel::Gather(_) => "gather",
            Kernel::Concat(_) => "concat",
            Kernel::Transpose(_) => "transpose",
            Kernel::PackBits(_) => "pack-bits",
            Kernel::IafBack(_) => "iaf-back",
            Kernel::RecurrentBack(_) => "iaf-recurrent-back",
            Kernel::SpikeDw(_) => "spike-dw",
            Kernel::SumRows(_) => "sum-rows",
            Kernel::EwGrad(_) => "elementwise-grad",
            Kernel::GatherBack(_) => "gather-back",
            Kernel::Slice(_) => "slice",
            Kernel::AddInto(_) => "add-into",
            Kernel::Unslice(_) => "unslice",
            Kernel::LinearIaf(_) => "linear-event+iaf",
            Kernel::Conv(k) if k.event => "conv-event",
            Kernel::Conv(_) => "conv",
            Kernel::ConvDx(_) => "conv-dx",
            Kernel::ConvDw(_) => "conv-dw",
            Kernel::Pool(_) => "pool",
            Kernel::PoolBack(_) => "pool-back",
        }
    }
}
