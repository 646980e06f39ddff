//! The integrate-and-fire ops (SPEC §1, §2) and the fused spike-and-reset, forward and reverse.

pub(crate) mod cell;
pub(crate) mod ops;
pub(crate) mod reset;
pub(crate) mod reverse;
mod rounded;
pub(crate) mod sim;
