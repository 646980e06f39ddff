//! `snnc bench`: its arguments, timing, progress display, output comparison and report.

mod args;
mod bandwidth;
mod compare;
mod engines;
mod profile;
mod progress;
mod report;
mod stats;

pub use args::{BenchArgs, BenchEngine};
pub use bandwidth::copy_bandwidth;
pub use compare::{grad_rel_err, OutputDiff};
pub use engines::{bench_cpu, bench_ref, bench_tract, Workload};
pub use profile::{step_medians, Profile};
pub use progress::Progress;
pub use report::{EngineReport, Measured, Report};
pub use stats::{measure, Stats};
