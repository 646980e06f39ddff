//! [`LinearIafK`], the plan's fused event-driven linear + IAF step: the linear part's launch
//! writes the currents, then the IAF part's time loop reads them, both launches of the one
//! step. A single kernel is not natural here: the linear launch runs one thread per (row,
//! output), T·B·N threads, while the IAF is sequential in time with one thread per (batch row,
//! neuron); computing each current inside its neuron's time loop would leave T times fewer
//! threads (8 192 instead of 819 200 for the N-MNIST model), each summing T·K terms, to save
//! one coalesced write and read of the currents.

use snnc_plan::{BufId, LinearIafK};

use super::program::Rendered;
use super::source::Out;
use super::{iaf, linear};
use crate::CudaError;

/// The launches of a [`LinearIafK`]: the event-driven linear part then the IAF part; when the
/// linear part reads a graph input, the dense alternative is the dense linear part then the
/// same IAF launch (the runtime picks one by the input's data, as for a lone linear step).
pub(super) fn linear_iaf(
    out: &mut Out<'_>,
    k: &LinearIafK,
    is_input: impl Fn(BufId) -> bool,
) -> Result<Rendered, CudaError> {
    let l = &k.linear;
    let mut event = linear::linear_event(out, l)?;
    let iaf = iaf::iaf(out, &k.iaf)?;
    let dense = if is_input(l.x) {
        let mut dense = linear::linear_dense(out, l)?;
        dense.extend(iaf.iter().cloned());
        Some((l.x, dense))
    } else {
        None
    };
    event.extend(iaf);
    Ok((event, dense))
}
