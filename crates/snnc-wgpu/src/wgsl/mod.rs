//! Rendering a plan's steps to WGSL compute kernels. Every offset, size, stride and parameter
//! is a literal of the source, so the source is a pure function of the plan (and the same
//! kernel in two plans compiles once, pipelines being cached by source).

mod cell;
pub mod common;
mod conv;
mod ew;
mod fused;
mod iaf;
mod linear;
mod pool;
mod recurrent;
mod shape;
#[cfg(test)]
mod window_tests;

use snnc_ir::neuron::Fault;
use snnc_plan::{BufId, Kernel};

use crate::layout::Layout;

/// Error code of an integer division by zero (the shared table [`Fault`]).
pub const ERR_DIV_ZERO: u32 = Fault::DivZero.code();
/// Error code of a Gather index out of range.
pub const ERR_INDEX: u32 = Fault::Index.code();
/// Error code of a spike-linear input that is not 0/1.
pub const ERR_NOT_BINARY: u32 = Fault::NotBinary.code();

/// The message of an error code a kernel raised.
pub fn error_message(code: u32) -> &'static str {
    Fault::from_code(code).map_or("the kernel failed", Fault::message)
}

/// One dispatch: WGSL source (entry point `main`), workgroup grid, and a range of the u32
/// buffer `(offset, words)` zeroed before it runs (spike bits that kernels OR into).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The module.
    pub src: String,
    /// Workgroups along x, y, z.
    pub groups: [u32; 3],
    /// Words of the u32 buffer cleared first.
    pub clear_bits: Option<(usize, usize)>,
}

/// Checks that buffer `b` holds exactly `want` elements.
pub(crate) fn need(l: &Layout, b: BufId, want: usize, what: &str) -> Result<(), String> {
    let got = l.len(b)?;
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {want} elements, got {got} (invalid plan)"))
    }
}

/// The product of `dims`, refusing overflow.
pub(crate) fn numel(dims: &[usize]) -> Result<usize, String> {
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("size {dims:?} overflows (invalid plan)"))
}

/// The dispatches of step `step` (its index in the program, which kernels report when they
/// fail) running `k` over the memory map `l`, in order.
/// Integrate-and-fire kernels compute their plan's family member (SPEC §1.1) of the leaky
/// cell (SPEC §1.2), whose special case the IF cell is.
pub fn render(step: usize, l: &Layout, k: &Kernel) -> Result<Vec<Launch>, String> {
    match k {
        Kernel::Mm(k) => linear::mm(step, l, k),
        Kernel::Bias(k) => linear::bias(step, l, k),
        Kernel::Linear(k) => linear::linear(step, l, k),
        Kernel::SpikeDw(k) => linear::spike_dw(step, l, k),
        Kernel::SumRows(k) => linear::sum_rows(step, l, k),
        Kernel::Iaf(k) => iaf::iaf(step, l, k),
        Kernel::LinearIaf(k) => fused::linear_iaf(step, l, k),
        Kernel::Reset(k) => iaf::reset(step, l, k),
        Kernel::PackBits(k) => iaf::pack(step, l, k),
        Kernel::IafBack(k) => iaf::iaf_back(step, l, k),
        Kernel::Recurrent(k) => recurrent::recurrent(step, l, k),
        Kernel::RecurrentBack(k) => recurrent::recurrent_back(step, l, k),
        Kernel::Ew(k) => ew::ew(step, l, k),
        Kernel::EwGrad(k) => ew::ew_grad(step, l, k),
        Kernel::Gather(k) => shape::gather(step, l, k),
        Kernel::GatherBack(k) => shape::gather_back(step, l, k),
        Kernel::Concat(k) => shape::concat(step, l, k),
        Kernel::Slice(k) => shape::slice(step, l, k),
        Kernel::Unslice(k) => shape::unslice(step, l, k),
        Kernel::Transpose(k) => shape::transpose(step, l, k),
        Kernel::AddInto(k) => shape::add_into(step, l, k),
        Kernel::Conv(k) => conv::conv(step, l, k),
        Kernel::ConvDx(k) => conv::conv_dx(step, l, k),
        Kernel::ConvDw(k) => conv::conv_dw(step, l, k),
        Kernel::Pool(k) => pool::pool(step, l, k),
        Kernel::PoolBack(k) => pool::pool_back(step, l, k),
    }
}
