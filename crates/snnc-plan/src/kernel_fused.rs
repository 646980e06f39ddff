//! Kernels that fuse two ops of the graph into one step, produced by the lowering's fusion
//! passes (see `lower/fuse_linear_iaf.rs`).

use crate::kernel_iaf::IafK;
use crate::LinearK;

/// An event-driven linear layer and the feed-forward IAF layer that alone reads its output,
/// as one step (pass `fuse-linear-iaf`): the IAF integrates the currents `linear.y` over
/// `[iaf.t, iaf.b, iaf.n]`, so `iaf.x == linear.y`, `iaf.t · iaf.b == linear.rows` and
/// `iaf.n == linear.n`. The currents `linear.y` stay a buffer of the step (a scratch no other
/// step touches): an engine may compute them and run the IAF on them, or never materialize
/// them (the CPU engine's `spike_linear_iaf` integrates each block of sums at once); either
/// way the results are bitwise those of the two kernels run one after the other.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearIafK {
    /// The linear part; `event` is always set.
    pub linear: LinearK,
    /// The IAF part, reading `linear.y`.
    pub iaf: IafK,
    /// The graph node of the IAF part (the step's own node is the linear layer's), so that
    /// listings and profiles name both.
    pub iaf_node: u32,
}
