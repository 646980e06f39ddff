//! snnc's CPU kernels over plain `f32` slices: the dense GEMM wrapper, the fused sequence
//! kernels of the leaky cell of SPEC §1.2, whose special case is the integrate-and-fire cell
//! (feed-forward and recurrent, forward and reverse time),
//! the event-driven spike-linear product and its weight gradient, and the deterministic
//! threading they share.
//!
//! Layouts are row-major and time-major, as in SPEC §1–2: sequences `[T, B, N]`, states
//! `[B, N]`, weights `[out, in]` unless a function says it takes the transpose or a
//! [`SpikeWeights`] packing. Every kernel checks buffer lengths against the shapes it is given
//! and returns a [`KernelError`] instead of panicking.
//!
//! | kernel | entry points |
//! |---|---|
//! | dense GEMM (`gemm` crate, strided operands) | [`sgemm`] |
//! | feed-forward IAF/LIF/LI sequence, forward / reverse time | [`IafCell::forward`], [`IafCell::backward`] |
//! | recurrent IAF sequence, forward / reverse time | [`IafCell::recurrent_forward`], [`IafCell::recurrent_backward`] |
//! | spike-linear `x·Wᵀ + b` and its `dW`, event-driven | [`spike_linear`], [`spike_linear_dw`] |
//! | spike-linear feeding an IAF layer, fused | [`spike_linear_iaf`] |
//! | 2-D convolution (1-D as height 1), event-driven below a measured density, im2col + GEMM above; dX, dW and the bias gradient | [`conv2d`], [`conv2d_dx`], [`conv2d_dw`] |
//! | 2-D pooling (sum, average, max), forward and dX | [`pool2d`], [`pool2d_backward`] |
//! | layout helpers | [`SpikeBits`], [`SpikeWeights`], [`AlignedBuf`], [`transpose`], [`add_bias_rows`], [`sum_rows`] |
//!
//! **Numerics.** Everything is f32. The feed-forward forward pass is bitwise the reference
//! interpreter's (each step is the same sequence of f32 operations, with or without a leak); sums (GEMM, event-driven
//! products) are accumulated in f32 in a fixed order, so they differ from the reference's f64
//! sums by rounding only; gradients are f32 and meet SPEC §5's 1e-4.
//!
//! **Determinism.** Work is cut into tasks by shape only; each output element is written by one
//! task in a fixed order, and `gemm` reduces each element in an order independent of its
//! threads. Results are bitwise identical for any [`Threads`] setting and for every SIMD level
//! (AVX-512, AVX2, baseline; no kernel relies on fused multiply-add).

#![warn(missing_docs)]

mod aligned;
mod bits;
mod col_lists;
mod conv;
mod conv_backward;
mod conv_event;
mod conv_geom;
mod elementwise;
mod error;
mod family;
mod gemm;
mod iaf;
mod iaf_backward;
mod ones;
mod pool;
mod pool_tiled;
mod recurrent;
mod recurrent_backward;
mod simd;
mod sparse;
mod spike_dw;
mod spike_linear;
mod spike_linear_iaf;
mod surrogate;
mod threads;
mod transpose8;
mod weights;

pub use crate::gemm::sgemm;
pub use aligned::AlignedBuf;
pub use bits::{SpikeBits, SpikeBitsView};
pub use conv::{conv2d, ConvPath, ConvRun, CONV_DW_EVENT_CROSSOVER, CONV_EVENT_CROSSOVER};
pub use conv_backward::{conv2d_dw, conv2d_dx};
pub use conv_geom::ConvDims;
pub use elementwise::{add_bias_rows, sum_rows, transpose};
pub use error::KernelError;
pub use iaf::{IafCell, IafOutputs, SeqDims};
pub use iaf_backward::{IafGrads, IafUpstream};
pub use pool::{pool2d, pool2d_backward, PoolDims, PoolMode};
pub use recurrent::RecurrentInputs;
pub use recurrent_backward::{RecurrentGrads, RecurrentSaved, RecurrentUpstream};
pub use spike_dw::{spike_linear_dw, DwLayout};
pub use spike_linear::{spike_linear, LinearDims, SpikeInput, SpikePath, DENSE_CROSSOVER};
pub use spike_linear_iaf::spike_linear_iaf;
pub use threads::Threads;
pub use weights::SpikeWeights;
