//! Time: re-rolling the unrolled loop of an export (see each file).

pub mod axis;
pub mod chain;
pub mod ends;
pub mod linear;
pub mod reroll;
pub mod unhoist;
pub mod unstack;
