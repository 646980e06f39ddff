//! snnc's e-graph optimizer, built on [`egg`].
//!
//! [`optimize`] loads an IR graph into an e-graph ([`lang`], [`analysis`], [`convert`]),
//! rewrites it with named rules ([`rules`]: algebra, spike, reset, step, time, event), extracts
//! the cheapest equivalent graph with a DAG-aware extractor ([`extract`]) and converts it back
//! to a verified IR graph. On the unrolled exports of Norse models it finds the integrate-and-fire
//! cells, fuses spike, reset and linear layers, and re-rolls time: the optimized graph's size
//! does not depend on the number of time steps. See `docs/optimizer.md`.

#![warn(missing_docs)]

pub mod analysis;
pub mod consts;
pub mod convert;
mod error;
pub mod extract;
pub mod lang;
mod optimize;
mod report;
pub mod rules;
pub mod sym;
mod sym_text;

pub use error::OptError;
pub use optimize::{optimize, OptOptions};
pub use report::{cells, Cell, Optimized};
