//! [`LinearIafK`], the plan's fused event-driven linear + IAF step: the linear part's
//! dispatch writes the currents, then the IAF part's time loop reads them, both dispatches of
//! the one step. A single kernel is not natural here: the linear dispatch runs one invocation
//! per (row, output), T·B·N of them, while the IAF is sequential in time with one invocation
//! per (batch row, neuron); computing each current inside its neuron's time loop would leave T
//! times fewer invocations, each summing T·K terms, to save one write and read of the
//! currents.

use snnc_plan::LinearIafK;

use super::{iaf, linear, Launch};
use crate::layout::Layout;

/// The dispatches of a [`LinearIafK`] at step `step`: the linear part, then the IAF part.
pub fn linear_iaf(step: usize, l: &Layout, k: &LinearIafK) -> Result<Vec<Launch>, String> {
    let mut launches = linear::linear(step, l, &k.linear)?;
    launches.extend(iaf::iaf(step, l, &k.iaf)?);
    Ok(launches)
}
