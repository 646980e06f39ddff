//! What an engine reports when it times a program step by step.

use std::time::Duration;

/// The time one step of a program took, as an engine's profile reports it (the cpu engine's
/// `with_profiling`, the CUDA engine's `profile`). An engine that fuses consecutive steps
/// times them together, as one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StepTime {
    /// Index of the (first) step in its program.
    pub step: usize,
    /// How many consecutive steps the entry covers: 1, or more when the engine fused them.
    pub steps: usize,
    /// The kernel's name ([`Kernel::name`](crate::Kernel::name)); fused steps join their
    /// names with `+`.
    pub kernel: &'static str,
    /// The graph node the step comes from (fused steps: their nodes joined with `+`).
    pub node: String,
    /// Wall-clock time.
    pub time: Duration,
}
