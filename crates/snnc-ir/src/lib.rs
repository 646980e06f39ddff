//! snnc's intermediate representation.
//!
//! A [`Graph`] is a list of [`Node`]s in topological order over typed SSA values. Every value has a
//! concrete [`TensorType`]; the [`verify`] pass re-checks the whole graph and runs after every stage.
//! The op set ([`Op`]) is the primitive ONNX subset that PyTorch exports of SNNs use, plus the
//! spike function Θ and the four `snn` integrate-and-fire ops of SPEC §2, the window ops of
//! spiking CNNs (`Conv`, `SumPool`, `AveragePool`, `MaxPool`; docs/conv.md), and the fused ops the
//! optimizer introduces (`Linear`, `SpikeLinear`, `SpikeReset`).

mod bind;
mod choice;
mod code;
mod conv;
mod dtype;
mod error;
mod export_grad;
mod family;
mod graph;
mod iaf;
mod infer;
mod leak;
pub mod neuron;
mod neuron_text;
mod num;
mod op;
mod pool;
mod shape;
mod slice;
mod surrogate;
mod tensor;
mod verify;
mod window;

pub use bind::{bind_grad_outputs, bind_inputs, BindError, Slot};
pub use code::{c_f32, c_f64, wgsl_f32, Code, Dialect};
pub use conv::ConvSpec;
pub use dtype::DType;
pub use error::IrError;
pub use export_grad::ExportGrad;
pub use family::{Family, Reset, ResetGrad, Spikes, Threshold};
pub use graph::{Graph, Node, Value, ValueId};
pub use iaf::{IafParams, Order, ResetParams};
pub use infer::infer_types;
pub use leak::{Leak, VOut};
pub use neuron_text::StepText;
pub use num::Num;
pub use op::Op;
pub use pool::{PoolKind, PoolSpec};
pub use shape::{broadcast_shapes, normalize_axis, shape_len, TensorType, MAX_ELEMENTS};
pub use slice::{AxisSlice, SliceSpec};
pub use surrogate::{Method, Surrogate};
pub use tensor::Tensor;
pub use verify::verify;
pub use window::{split_input, Window, SPATIAL_RANKS};
