//! The snnc text IR (`.snn`): a small, human-writable listing of a [`snnc_ir::Graph`].
//!
//! [`print`] and [`parse_str`] are inverses: printing a graph and parsing the text gives the same
//! graph, bit for bit. Weights are written inline or read from an `.npz` archive beside the file
//! ([`write_file`], [`parse_file`]). Every error names the file, line and column. The syntax is
//! described in `docs/text-ir.md`.

#![warn(missing_docs)]

mod attrs;
mod eq;
mod error;
mod io;
mod lexer;
mod literal;
mod npz;
mod numbers;
mod ops;
mod parser;
mod printer;

pub use eq::{graph_diff, graphs_equal, ops_identical};
pub use error::{Pos, TextError};
pub use io::{parse_file, parse_str, write_file};
pub use literal::MAX_NESTING;
pub use ops::OP_NAMES;
pub use printer::{print, print_elided};
