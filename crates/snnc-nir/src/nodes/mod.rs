//! NIR's node types, one family per file, and the parser of one node group.

pub(crate) mod affine;
pub(crate) mod array;
pub(crate) mod conv;
pub(crate) mod fields;
pub(crate) mod io;
pub(crate) mod kind;
pub(crate) mod neuron;
pub(crate) mod shape_ops;
