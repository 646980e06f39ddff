//! snnc's execution plans.
//!
//! [`compile`] lowers a verified IR graph (as imported, or as the optimizer leaves it) through a
//! short list of named passes ([`PASSES`]) to a [`Plan`]: two [`Program`]s — inference, and
//! training (forward saving what backward needs, then backward) — each a list of [`Step`]s
//! that run [`Kernel`]s over statically planned buffers. Buffers live in one f32 arena per
//! program whose offsets are assigned from liveness, so memory of dead values is reused
//! ([`Stats`] reports the peak); graph inputs and outputs are bound by name; constants are
//! stored once, and weights that event-driven kernels read are packed when the plan is built
//! or loaded. A plan is written to and read from a versioned, checksummed file
//! ([`Plan::save`], [`Plan::load`]).
//!
//! The plan maps each IR op to its kernel, and fuses adjacent kernels only where no other step
//! can tell (elementwise chains; an event-driven linear layer with the IAF layer that alone
//! reads it); choosing ops (cell fusion, spike-linear layers, re-rolled time) is the
//! optimizer's work. The mapping:
//!
//! | IR op | kernel |
//! |---|---|
//! | `Gemm`, `MatMul` | [`MmK`] (strided GEMM, one entry per batch matrix) + [`BiasK`] for Gemm's C |
//! | `Linear`, `SpikeLinear` | [`LinearK`]; event-driven first for `SpikeLinear` and for `Linear` on a graph input |
//! | `IAF`, `IAFFeedForwardStep` | [`IafK`] (T = 1 for the step) |
//! | event-driven `Linear`/`SpikeLinear` + the `IAF` that alone reads it | [`LinearIafK`], one step (pass `fuse-linear-iaf`) |
//! | `IAFRecurrent`, `IAFStep` | [`RecK`] (T = 1 for the step) |
//! | `SpikeReset` | [`ResetK`] |
//! | `Conv` (1-D as 2-D of height 1) | [`ConvK`] over every image (leading axes flattened); `event` when the input is probably sparse |
//! | `SumPool`, `AveragePool`, `MaxPool` | [`PoolK`] over every plane |
//! | arithmetic, comparisons, `Where`, activations, `Spike`, value-changing `Cast` | [`EwK`], fused along chains |
//! | `Gather`, `Concat`, `Transpose` | [`GatherK`], [`ConcatK`], [`TransposeK`] |
//! | `Identity`, `Reshape`, `Squeeze`, `Unsqueeze`, value-preserving `Cast` | aliases (no kernel) |
//! | `Constant` | a constant |
//!
//! **Storage.** Every value is stored as f32: bool as 0/1, i64 as its value (exact below 2²⁴,
//! which shapes and indices are), f64 values are computed in f32.
//!
//! **Backward.** One reverse-time kernel per IAF layer ([`IafBackK`], [`RecBackK`]) that reads
//! only the saved pre-reset potentials (and, for recurrent layers, the bit-packed spikes);
//! GEMMs for dX and dW, with dW event-driven ([`SpikeDwK`]) where the layer input is spikes;
//! [`ConvDxK`], [`ConvDwK`] (dW and the bias gradient) and [`PoolBackK`] for the window ops.
//! Each backward step carries the [`Wrt`] mask of what it leads to, so a run with
//! [`Wrt::Params`] never computes the gradient of a data input. The surrogate of
//! `Greater`/`Less` (plain exports) is the one given at compile time ([`Plan::surrogate`]).

#![warn(missing_docs)]

mod access;
mod assemble;
mod bind;
mod cell_text;
mod codec;
mod engine;
mod error;
mod kernel;
mod kernel_ew;
mod kernel_fused;
mod kernel_iaf;
mod kernel_window;
mod lower;
mod plan;
mod stats;
mod step_time;
mod traffic;
mod validate;
mod wrt;

pub use access::Access;
pub use bind::Gradients;
pub use cell_text::{CellText, Which};
pub use codec::file::{is_plan_bytes, is_plan_file, FORMAT_VERSION, MAGIC};
pub use engine::{Engine, EngineError, Named};
pub use error::PlanError;
pub use kernel::{
    BiasK, BufId, Kernel, LinearK, MmEntry, MmK, Opnd, SpikeDwK, SpikeSrc, SumRowsK, WRef,
};
pub use kernel_ew::{
    AddIntoK, BinOp, ConcatK, EwGradK, EwInput, EwK, GatherK, GradRule, GradStage, Instr, Reg,
    SliceK, TransposeK, UnOp,
};
pub use kernel_fused::LinearIafK;
pub use kernel_iaf::{IafBackK, IafK, PackK, RecBackK, RecK, ResetK};
pub use kernel_window::{ConvDwK, ConvDxK, ConvGeom, ConvK, PoolBackK, PoolGeom, PoolK, PoolOp};
pub use lower::{compile, CompileOptions, PASSES};
pub use plan::{Buf, BufLoc, ConstData, PackSpec, Plan, Program, Sig, Stats, Step, Target};
pub use step_time::StepTime;
pub use validate::MAX_ARENA;
pub use wrt::{Wrt, NEED_ALWAYS, NEED_INPUTS, NEED_PARAMS};
