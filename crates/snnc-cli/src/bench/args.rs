use clap::{Args, ValueEnum};
use snnc_ir::Surrogate;

use crate::args::{parse_reset_grad, parse_surrogate, ModelArgs};

/// An engine `snnc bench` can time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchEngine {
    /// The compiled CPU plan (optimized graph, fused kernels).
    Cpu,
    /// The reference interpreter on the imported graph.
    Ref,
    /// tract-onnx on the same ONNX file (forward only).
    Tract,
}

impl BenchEngine {
    /// Every engine, in report order.
    pub const ALL: [BenchEngine; 3] = [BenchEngine::Cpu, BenchEngine::Ref, BenchEngine::Tract];

    /// The name used on the command line and as the JSON key.
    pub fn name(self) -> &'static str {
        match self {
            BenchEngine::Cpu => "cpu",
            BenchEngine::Ref => "ref",
            BenchEngine::Tract => "tract",
        }
    }
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Input arrays, as for `run`; without any, a deterministic input is generated.
    #[arg(long = "input", short = 'i', value_name = "NAME=FILE.npy")]
    pub inputs: Vec<String>,
    /// Engines to time, comma-separated (default: every one that applies to the model).
    #[arg(long = "engine", value_enum, value_delimiter = ',', value_name = "ENGINE,...")]
    pub engines: Vec<BenchEngine>,
    /// Timed runs per engine and mode.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Untimed runs before the timed ones (after the run whose outputs are compared).
    #[arg(long, default_value_t = 2)]
    pub warmup: u32,
    /// Also time a training step: forward plus gradients w.r.t. the parameters (cpu and ref;
    /// tract runs forward only). Every output gets an upstream gradient of ones.
    #[arg(long)]
    pub train: bool,
    /// Worker threads for the cpu engine and tract (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Surrogate gradient for spikes of plain exports (METHOD[:ALPHA]), as for `grad`.
    #[arg(long, default_value = "super:100", value_parser = parse_surrogate)]
    pub surrogate: Surrogate,
    /// Whether the resets of plain exports are differentiated through their spike: attached
    /// or detached (an export loses `detach()`, SPEC §1.1); or one per spiking layer, as for
    /// `grad`.
    #[arg(long, default_value = "attached", value_parser = parse_reset_grad)]
    pub reset_grad: crate::reset_grads::ResetGrads,
    /// Also time every step of the cpu engine's programs (median over `--runs` extra runs)
    /// and print them after the table (JSON: the cpu engine's `profile`).
    #[arg(long)]
    pub profile: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}
