//! Reset: each library's spelling of a spike and the reset it causes becomes one fused
//! spike-and-reset op (outputs: the spike z and the reset potential), one spelling family per
//! file. The fused op's family (SPEC §1.1) is read from the spelling: the comparison gives the
//! threshold, the arithmetic the reset, a mask or select that carries no gradient through z a
//! detached reset, and a truncating count the multi-spike.

pub mod cell;
pub mod late;
pub mod late_decay;
pub mod masked;
pub mod multi;
pub mod none;
pub mod subtract;
pub mod value;

pub use cell::{per_neuron, spikes_of, Fire};
