//! What every kernel shares, and the dispatch from a plan kernel to its implementation.

use snnc_kernels::Threads;
use snnc_plan::{Kernel, Plan};

use crate::kernels::{ew, ew_grad, fused, iaf, linear, shape, window};
use crate::store::Io;

/// What every kernel may need besides its buffers.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'p> {
    pub plan: &'p Plan,
    pub threads: Threads,
}

/// Checks that a buffer has `want` elements.
pub(crate) fn need(what: &str, got: usize, want: usize) -> Result<(), String> {
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

/// Checks that a buffer holds exactly the product of `dims` elements.
pub(crate) fn need_dims(what: &str, got: usize, dims: &[usize]) -> Result<(), String> {
    need(what, got, numel(dims)?)
}

/// Runs one kernel.
pub(crate) fn run(k: &Kernel, io: &mut Io, cx: Ctx) -> Result<(), String> {
    match k {
        Kernel::Mm(k) => linear::mm(k, io, cx),
        Kernel::Bias(k) => linear::bias(k, io),
        Kernel::Linear(k) => linear::linear(k, io, cx),
        Kernel::SpikeDw(k) => linear::spike_dw(k, io, cx),
        Kernel::SumRows(k) => linear::sum_rows(k, io),
        Kernel::Iaf(k) => iaf::iaf(k, io, cx),
        Kernel::LinearIaf(k) => fused::linear_iaf(&k.linear, &k.iaf, io, cx, None, None),
        Kernel::Recurrent(k) => iaf::recurrent(k, io, cx),
        Kernel::Reset(k) => iaf::reset(k, io),
        Kernel::PackBits(k) => iaf::pack(k, io),
        Kernel::IafBack(k) => iaf::iaf_back(k, io, cx),
        Kernel::RecurrentBack(k) => iaf::recurrent_back(k, io, cx),
        Kernel::Ew(k) => ew::run(k, io),
        Kernel::EwGrad(k) => ew_grad::run(k, io),
        Kernel::Gather(k) => shape::gather(k, io),
        Kernel::GatherBack(k) => shape::gather_back(k, io),
        Kernel::Concat(k) => shape::concat(k, io),
        Kernel::Slice(k) => shape::slice(k, io),
        Kernel::Unslice(k) => shape::unslice(k, io),
        Kernel::Transpose(k) => shape::transpose(k, io),
        Kernel::AddInto(k) => shape::add_into(k, io),
        Kernel::Conv(k) => window::conv(k, io, cx),
        Kernel::ConvDx(k) => window::conv_dx(k, io, cx),
        Kernel::ConvDw(k) => window::conv_dw(k, io, cx),
        Kernel::Pool(k) => window::pool(k, io, cx),
        Kernel::PoolBack(k) => window::pool_back(k, io, cx),
    }
}
