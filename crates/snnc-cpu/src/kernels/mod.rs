//! The engine side of every kernel: buffers from the step's [`Io`](crate::store::Io), then the
//! `snnc-kernels` routine (or the loop here for the small elementwise and data-movement
//! kernels).

pub(crate) mod bcast;
mod dispatch;
pub(crate) mod ew;
pub(crate) mod ew_grad;
pub(crate) mod fused;
pub(crate) mod iaf;
pub(crate) mod linear;
pub(crate) mod shape;
pub(crate) mod window;

pub(crate) use dispatch::{need, need_dims, numel, run, Ctx};
