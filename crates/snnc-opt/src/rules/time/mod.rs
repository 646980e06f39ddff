//! Time: re-rolling the unrolled loop of an export (see each file).

pub mod axis;
pub mod chain;
pub mod ends;
pub mod flatten;
pub mod linear;
pub mod map;
pub mod reroll;
pub mod unhoist;
pub mod unstack;
