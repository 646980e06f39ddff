//! The execution plan: programs of kernels over planned buffers, with their bindings.

use snnc_ir::{DType, ResetGrad, Surrogate};
use snnc_kernels::SpikeWeights;

use crate::{BufId, Kernel};

/// A named, typed value at the plan's boundary (an input, an output, a gradient target).
#[derive(Debug, Clone, PartialEq)]
pub struct Sig {
    /// The graph value's name.
    pub name: String,
    /// Its element type (stored as f32 inside the plan).
    pub dtype: DType,
    /// Its shape.
    pub shape: Vec<usize>,
}

impl Sig {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the value has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A constant (an initializer or a `Constant` node's value) as f32 data.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstData {
    /// The value's name.
    pub name: String,
    /// Its IR dtype.
    pub dtype: DType,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Row-major elements.
    pub data: Vec<f32>,
}

/// A constant weight matrix that is packed for the event-driven kernels when the plan is built
/// or loaded ([`SpikeWeights`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackSpec {
    /// Index of the constant.
    pub konst: u32,
    /// Output features O.
    pub outputs: usize,
    /// Input features I.
    pub inputs: usize,
    /// Stored `[O, I]` (else `[I, O]`).
    pub out_in: bool,
}

/// A value that can receive a gradient: a float graph input or a float initializer.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Name, type and shape.
    pub sig: Sig,
    /// A graph input (else an initializer).
    pub input: bool,
}

/// Where a buffer lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufLoc {
    /// The caller's input `i`.
    Input(u32),
    /// Constant `i`.
    Const(u32),
    /// The upstream gradient of output `i` (zeros when the caller gives none).
    Seed(u32),
    /// `len` f32 at `off` in the program's arena.
    Arena {
        /// Offset in f32 elements.
        off: usize,
    },
    /// Spike bits slot `slot` (`rows × cols` bits).
    Bits {
        /// The slot.
        slot: u32,
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
}

/// A buffer: its location and its length in elements (bits: `rows·cols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buf {
    /// Where it lives.
    pub loc: BufLoc,
    /// Elements.
    pub len: usize,
}

/// One kernel call, attributed to the graph node it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Index of the node in [`Plan::nodes`].
    pub node: u32,
    /// The step runs when `need & wrt.mask() != 0` ([`crate::Wrt`]); forward steps have
    /// [`NEED_ALWAYS`](crate::NEED_ALWAYS).
    pub need: u8,
    /// The kernel.
    pub kernel: Kernel,
}

/// Memory figures of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Bytes of the arena plus the spike bits: the peak of planned memory.
    pub peak_bytes: usize,
    /// What the same buffers would take without reuse.
    pub unshared_bytes: usize,
    /// Bytes written by the forward pass and kept for the backward pass.
    pub saved_bytes: usize,
    /// Arena buffers planned.
    pub buffers: usize,
}

/// A list of steps over statically planned buffers.
///
/// Steps `0..forward_len` are the forward pass; the outputs are read after them. A training
/// program continues with the backward pass, after which the gradients are read.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Every buffer the steps name.
    pub bufs: Vec<Buf>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Number of forward steps.
    pub forward_len: usize,
    /// Arena size in f32 elements.
    pub arena_len: usize,
    /// Number of spike-bit slots.
    pub bits_slots: usize,
    /// The buffer of each plan output.
    pub outputs: Vec<BufId>,
    /// The gradient buffer of each [`Target`] (`None`: zero), training programs only.
    pub grads: Vec<Option<BufId>>,
    /// Memory figures.
    pub stats: Stats,
}

/// A compiled execution plan: an inference program and a training program over shared
/// constants, bound to the graph's inputs and outputs by name.
///
/// Built by [`compile`](crate::compile), written and read by [`Plan::save`] and
/// [`Plan::load`], executed by the `snnc-cpu` engine.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) name: String,
    pub(crate) surrogate: Surrogate,
    pub(crate) reset_grad: ResetGrad,
    pub(crate) meta: Vec<(String, String)>,
    pub(crate) inputs: Vec<Sig>,
    pub(crate) outputs: Vec<Sig>,
    pub(crate) targets: Vec<Target>,
    pub(crate) consts: Vec<ConstData>,
    pub(crate) packs: Vec<PackSpec>,
    pub(crate) nodes: Vec<(String, String)>,
    pub(crate) infer: Program,
    pub(crate) train: Program,
    pub(crate) packed: Vec<SpikeWeights>,
}

impl Plan {
    /// The graph's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The surrogate of the spikes of plain exports (`Greater`/`Less` + `Cast`), fixed at
    /// compile time like [`snnc_interp::GradOptions`]' (`--surrogate`).
    pub fn surrogate(&self) -> Surrogate {
        self.surrogate
    }

    /// Whether the resets of plain exports were differentiated through their spike
    /// (`--reset-grad`), fixed at compile time with the surrogate. The plan's cells carry it
    /// where the optimizer fused them; a reset it did not fuse is ordinary arithmetic in the
    /// plan and stays attached.
    pub fn reset_grad(&self) -> ResetGrad {
        self.reset_grad
    }

    /// What the frontend recorded about how the model was read, as `key=value` pairs (a NIR
    /// model's `nir.dt`, `nir.reset`, `nir.current`); empty for ONNX and text-IR models.
    pub fn meta(&self) -> &[(String, String)] {
        &self.meta
    }

    /// The plan with `meta` recorded (see [`Plan::meta`]).
    pub fn with_meta(mut self, meta: Vec<(String, String)>) -> Self {
        self.meta = meta;
        self
    }

    /// Graph inputs, in order.
    pub fn inputs(&self) -> &[Sig] {
        &self.inputs
    }

    /// Graph outputs, in order.
    pub fn outputs(&self) -> &[Sig] {
        &self.outputs
    }

    /// The values gradients are computed for: float graph inputs (in order), then float
    /// initializers (in value order), like `snnc_interp::grad`.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Constants.
    pub fn consts(&self) -> &[ConstData] {
        &self.consts
    }

    /// Constant weights packed for the event-driven kernels.
    pub fn packs(&self) -> &[PackSpec] {
        &self.packs
    }

    /// The packed form of pack `i` ([`WRef::Packed`](crate::WRef::Packed)).
    pub fn packed(&self, i: u32) -> Option<&SpikeWeights> {
        self.packed.get(i as usize)
    }

    /// `(node name, op name)` of every node steps refer to.
    pub fn nodes(&self) -> &[(String, String)] {
        &self.nodes
    }

    /// The inference program (forward only, nothing saved).
    pub fn infer(&self) -> &Program {
        &self.infer
    }

    /// The training program (forward saving what backward needs, then backward).
    pub fn train(&self) -> &Program {
        &self.train
    }
}
