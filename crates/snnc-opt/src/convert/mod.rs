//! Conversion between the IR and the e-graph.

pub mod from_ir;
pub mod to_ir;
