//! Forward rules of the ops.

pub(crate) mod elementwise;
pub(crate) mod eval;
pub(crate) mod linear;
pub(crate) mod shape;
pub(crate) mod slice;
