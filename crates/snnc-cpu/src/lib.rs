//! snnc's CPU engine: executes a compiled [`Plan`](snnc_plan::Plan) with `snnc-kernels`.
//!
//! [`run`] runs the plan's inference program; [`grad`] its training program (forward, then
//! backpropagation through time) and returns gradients keyed by value name like
//! `snnc_interp::grad`: one per float graph input, then one per float initializer, keeping those
//! [`Wrt`] asks for. [`Engine`] does the same with a [`Threads`] setting and working memory
//! kept between calls. Inputs and upstream gradients are checked like the reference
//! interpreter checks them, with the same messages.
//!
//! Results are bitwise identical for any thread count: every kernel cuts its work by shape
//! only and writes each element from one task in a fixed order. They match the reference
//! interpreter as SPEC §5 defines it (spikes exactly away from the threshold, potentials to
//! 1e-5, gradients to 1e-4): sums are accumulated in f32 in a fixed order, and gradient terms
//! of elementwise ops are computed in f64 like the reference's.
//!
//! Each step borrows its buffers as disjoint slices of the arena; a plan whose step would
//! read and write overlapping memory is refused with an error, so a hand-made or corrupt plan
//! cannot cause undefined behaviour.

#![warn(missing_docs)]

mod api;
mod engine;
mod error;
mod kernels;
mod plan_engine;
mod schedule;
mod store;

pub use api::{grad, run};
pub use engine::Engine;
pub use error::CpuError;
pub use snnc_kernels::Threads;
pub use snnc_plan::Wrt;
pub use snnc_plan::{Gradients, StepTime};
