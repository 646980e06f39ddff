//! The integrate-and-fire ops (SPEC §1, §2), forward and reverse.

pub(crate) mod cell;
pub(crate) mod ops;
pub(crate) mod reverse;
pub(crate) mod sim;
