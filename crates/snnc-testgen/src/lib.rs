//! Test generation for snnc.
//!
//! - [`generate`] builds a random spiking network ([`Case`]) from a seed: layers of every
//!   spelling the frontends produce (`snn` sequence ops, chains of `snn` step ops, the primitive
//!   chains of plain exports in Norse's and the other libraries' [`Spelling`]s), both update
//!   orders, every surrogate method, scalar and per-neuron thresholds and resets, recurrent or
//!   not, time- or batch-major, various T; [`Case::layers`] says what each layer is, so a test
//!   can tell which fused cells the optimizer should find.
//! - [`check_case`] runs one case through the reference interpreter on the graph as built and
//!   as optimized, and through the CPU engine on compiled plans of both, comparing outputs and
//!   gradients per SPEC §5, and returns the cells the optimizer fused ([`found_cells`]).
//! - [`fuzz`] holds the bodies of the cargo-fuzz targets, so the normal test suite can replay
//!   their corpus on a stable toolchain, and [`mutate`] the byte mutator that runs them
//!   briefly on new inputs there.

mod check;
pub mod fuzz;
mod gen;
mod mutate;
mod rng;

pub use check::{
    check_case, found_cells, ill_conditioned, ill_conditioned_outputs, CaseError, FoundCell,
    Outcome, ILL_CONDITIONED, ILL_CONDITIONED_OUTPUT,
};
pub use gen::spelling::{Assoc, Compare, Read, RecLinear, ResetKind, Spelling, ThShape, Write};
pub use gen::{generate, generate_with_steps, Case, Layer, Style};
pub use mutate::mutate;
pub use rng::Rng;
pub use snnc_interp::{compare_grad, compare_output};
