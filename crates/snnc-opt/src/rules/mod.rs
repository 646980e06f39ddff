//! The rewrite rules, one family per file; [`rules`] lists them all.

pub mod algebra;
pub mod bias;
pub mod event;
pub mod leak;
pub mod reset;
pub mod shape;
pub mod spike;
pub mod step;
pub mod support;
mod table;
pub mod time;

pub use support::Rule;
pub use table::{rules, rules_with};
