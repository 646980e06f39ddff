//! snnc's WGSL/wgpu engine: a second renderer of a compiled [`Plan`](snnc_plan::Plan).
//!
//! Every step of the plan's inference and training programs is rendered to WGSL compute
//! kernels ([`Engine::wgsl`]): one thread per neuron and batch row running the whole time loop
//! for feed-forward IAF layers forward and in reverse time; one workgroup per batch row for
//! recurrent layers (event-driven recurrent input from bit-packed spikes); one thread per
//! output element for products (event-driven on 0/1 inputs), elementwise register programs
//! (straight-line code), gradients and data movement; convolutions and pooling as gathers
//! (one thread per output, or per input element for the input gradients; one workgroup per
//! weight element). Spikes are saved bit-packed in u32 words. Every offset, size and
//! parameter is a literal, so the source is a pure function of the plan; pipelines are cached
//! by source.
//!
//! All buffers of a program live in one f32 storage buffer (constants, inputs, upstream
//! gradients, the plan's arena, scratch) and one u32 storage buffer (an error flag, the spike
//! bits); a plan whose buffers exceed the device's binding limit is refused with
//! [`WgpuError::TooLarge`]. Kernels that fail (an integer division by zero, an index out of
//! range, a non-binary spike-linear input) raise the flag and the run reports the first
//! failing step's node.
//!
//! [`run`] and [`grad`] mirror `snnc_cpu::run` and `snnc_cpu::grad`: the same input checks and
//! messages, the same keyed outputs and gradients. Results match the reference as SPEC §5
//! defines it: the membrane update uses the reference's f32 operations in the same order
//! (spikes exact), sums are accumulated in f32, and gradient terms the CPU engine computes in
//! f64 are computed in f32 (reductions over broadcast axes with compensated sums).

#![warn(missing_docs)]

mod api;
mod device;
mod engine;
mod error;
mod layout;
mod plan_engine;
#[cfg(test)]
mod test_run;
mod wgsl;
#[cfg(test)]
mod window_engine_tests;

pub use api::{grad, run};
pub use device::Gpu;
pub use engine::Engine;
pub use error::WgpuError;
pub use snnc_plan::Gradients;
pub use snnc_plan::Wrt;
