//! The window ops of spiking CNNs: Conv and the pools, forward and reverse.

pub(crate) mod conv;
pub(crate) mod geometry;
pub(crate) mod pool;
