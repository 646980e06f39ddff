//! Lowering a parsed NIR graph to snnc's IR: nested graphs flattened, the step schedule found,
//! then the graph unrolled over time.

pub(crate) mod api;
pub(crate) mod emit;
pub(crate) mod flat;
pub(crate) mod neuron;
pub(crate) mod order;
pub(crate) mod stateless;
pub(crate) mod time;
