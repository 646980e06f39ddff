use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use snnc_ir::Surrogate;

use crate::reset_grads::ResetGrads;

/// snnc: a compiler backend for spiking neural networks exported from PyTorch/Norse.
#[derive(Debug, Parser)]
#[command(name = "snnc", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a model and print a summary of its outputs.
    Run(RunArgs),
    /// Backpropagate through time: gradients for every graph input and float initializer.
    Grad(GradArgs),
    /// Show the graph: node count, op histogram, inputs, outputs.
    Inspect(InspectArgs),
    /// Optimize and compile the model to a CPU execution plan file.
    Compile(CompileArgs),
    /// Compare the reference interpreter with a compiled engine (cpu, wgpu, cuda): outputs and
    /// gradients.
    Check(CheckArgs),
    /// Time each engine (and tract on the same ONNX file) on the same input.
    Bench(crate::bench::BenchArgs),
    /// Draw the arrays of an `.npz` (as `run --output` writes it) to a PNG or SVG image:
    /// spike rasters for 0/1 (or small whole-number count) arrays, potential traces for others.
    Plot(PlotArgs),
    /// Write the model (ONNX, text IR or NIR) as a NIR graph: the optimized graph's fused cells
    /// become NIR neurons at the Euler step `--dt`, checked by reading the file back.
    Export(ExportArgs),
}

/// Which engine executes the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// The reference interpreter (float64 inside, float32 storage).
    Ref,
    /// The compiled CPU plan (optimized graph, fused kernels).
    Cpu,
    /// The compiled plan as WGSL compute kernels on a wgpu device (build feature `wgpu`).
    Wgpu,
    /// The compiled plan on a GPU (needs a build with `--features cuda` and a CUDA driver).
    Cuda,
}

impl Engine {
    /// The name `--engine` takes.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Ref => "ref",
            Engine::Cpu => "cpu",
            Engine::Wgpu => "wgpu",
            Engine::Cuda => "cuda",
        }
    }
}

/// What `compile` targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// The CPU engine.
    Cpu,
    /// CUDA: the plan is also rendered to CUDA C (see `--emit`).
    Cuda,
}

/// Which graph the reference engine interprets (or `inspect` shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// The graph as imported.
    Imported,
    /// The graph after the e-graph optimizer (cells fused, time re-rolled).
    Optimized,
}

/// Which gradients `grad` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Wrt {
    /// Float initializers (weights and parameters) only.
    Params,
    /// Graph inputs only.
    Inputs,
    /// Both.
    All,
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The model: an `.onnx` file, a text-IR `.snn` file, a NIR `.nir` file or a compiled plan.
    pub model: PathBuf,
    /// Bind a symbolic input dimension, e.g. `--dim batch=16` (repeatable). A NIR model's
    /// inputs are `[T, B, ...]`: `--dim T=1000 --dim B=8` (default: from `--input`, else 100 and 1).
    #[arg(long = "dim", value_name = "NAME=SIZE")]
    pub dims: Vec<String>,
    /// NIR models: the Euler time step in seconds (SPEC §1.2).
    #[arg(long, default_value_t = 1e-4, value_name = "SECONDS")]
    pub dt: f64,
    /// NIR models: the reset of IF, LIF and CubaLIF nodes (value: to the node's v_reset, 0 when
    /// the file has none; subtract: by the threshold).
    #[arg(long = "nir-reset", default_value = "value", value_parser = parse_nir_reset)]
    pub nir_reset: snnc_nir::NirReset,
    /// NIR models: when a CubaLI/CubaLIF potential sees the synaptic current (spec: this
    /// step's, SPEC §1.2; paper: the previous step's, as the NIR paper's reference code).
    #[arg(long = "nir-current", default_value = "spec", value_parser = parse_current_order)]
    pub nir_current: snnc_nir::CurrentOrder,
}

fn parse_nir_reset(s: &str) -> Result<snnc_nir::NirReset, String> {
    s.parse()
}

fn parse_current_order(s: &str) -> Result<snnc_nir::CurrentOrder, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Input arrays: `NAME=FILE.npy`, a `FILE.npz` holding inputs by name, or a bare `FILE.npy`
    /// for a single-input model. Without any, a deterministic input is generated.
    #[arg(long = "input", short = 'i', value_name = "NAME=FILE.npy")]
    pub inputs: Vec<String>,
    /// Write all outputs to this `.npz`, keyed by output name.
    #[arg(long, short = 'o', value_name = "OUT.npz")]
    pub output: Option<PathBuf>,
    /// Execution engine (default: ref for a model, cpu for a compiled plan).
    #[arg(long, value_enum)]
    pub engine: Option<Engine>,
    /// Graph the reference engine interprets.
    #[arg(long, value_enum, default_value = "imported")]
    pub stage: Stage,
    /// Also write every neuron cell's traces to the `--output` file, keyed
    /// `cell/<cell>/v` (potential after each step), `cell/<cell>/v_hat` (before the reset),
    /// `cell/<cell>/z` (spikes) and `cell/<cell>/u` (synaptic current), each [T,B,N]. The
    /// cells are those of the optimized graph; the reference interpreter records them.
    #[arg(long, requires = "output")]
    pub record: bool,
}

#[derive(Debug, Args)]
pub struct GradArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Input arrays, as for `run`.
    #[arg(long = "input", short = 'i', value_name = "NAME=FILE.npy")]
    pub inputs: Vec<String>,
    /// Upstream gradients: `NAME=FILE.npy`, a `FILE.npz` keyed by output name, or a bare
    /// `FILE.npy` for a single-output model. Without any, every output gets a gradient of ones.
    #[arg(long = "grad-output", value_name = "NAME=FILE.npy")]
    pub grad_outputs: Vec<String>,
    /// Where to write the gradients (`.npz`, keyed by ONNX value name).
    #[arg(long, short = 'o', value_name = "GRADS.npz")]
    pub output: PathBuf,
    /// Execution engine (default: ref for a model, cpu for a compiled plan).
    #[arg(long, value_enum)]
    pub engine: Option<Engine>,
    /// Graph the reference engine interprets.
    #[arg(long, value_enum, default_value = "imported")]
    pub stage: Stage,
    /// Surrogate gradient for spikes of plain exports: METHOD[:ALPHA] with METHOD one of
    /// heaviside, super, triangle, tanh, circ, heavi_erfc. Custom `snn` ops keep their own.
    #[arg(long, default_value = "super:100", value_parser = parse_surrogate)]
    pub surrogate: Surrogate,
    /// Whether the resets of plain exports are differentiated through their spike: attached
    /// or detached (an export loses `detach()`, SPEC §1.1); or one choice per spiking layer
    /// with a reset, comma-separated, in the order `snnc inspect` lists the layers.
    #[arg(long, default_value = "attached", value_parser = parse_reset_grad)]
    pub reset_grad: ResetGrads,
    /// Which gradients to write.
    #[arg(long, value_enum, default_value = "all")]
    pub wrt: Wrt,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print machine-readable JSON instead of the text listing.
    #[arg(long)]
    pub json: bool,
    /// Also write the graph in Graphviz dot format to FILE.
    #[arg(long, value_name = "FILE")]
    pub dot: Option<PathBuf>,
    /// Which graph to show (default: both, the optimized one with its listing).
    #[arg(long, value_enum)]
    pub stage: Option<Stage>,
    /// The surrogate the optimizer gives the spikes of plain exports (as for `grad`).
    #[arg(long, default_value = "super:100", value_parser = parse_surrogate)]
    pub surrogate: Surrogate,
    /// Whether the resets of plain exports are differentiated through their spike: attached
    /// or detached (an export loses `detach()`, SPEC §1.1); or one choice per spiking layer
    /// with a reset, comma-separated, in the order `snnc inspect` lists the layers.
    #[arg(long, default_value = "attached", value_parser = parse_reset_grad)]
    pub reset_grad: ResetGrads,
}

pub(crate) fn parse_surrogate(s: &str) -> Result<Surrogate, String> {
    s.parse()
}

pub(crate) fn parse_reset_grad(s: &str) -> Result<ResetGrads, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Where to write the plan.
    #[arg(long, short = 'o', value_name = "PLAN")]
    pub output: PathBuf,
    /// Surrogate gradient for spikes of plain exports (METHOD[:ALPHA]), fixed in the plan.
    #[arg(long, default_value = "super:100", value_parser = parse_surrogate)]
    pub surrogate: Surrogate,
    /// Whether the resets of plain exports are differentiated through their spike: attached
    /// or detached (an export loses `detach()`, SPEC §1.1); or one choice per spiking layer
    /// with a reset, comma-separated, in the order `snnc inspect` lists the layers.
    #[arg(long, default_value = "attached", value_parser = parse_reset_grad)]
    pub reset_grad: ResetGrads,
    /// The engine the plan is meant for.
    #[arg(long, value_enum, default_value = "cpu")]
    pub target: Target,
    /// With `--target cuda`: also write the CUDA sources (`infer.cu`, `train.cu`) to DIR.
    #[arg(long, value_name = "DIR")]
    pub emit: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Input arrays, as for `run`; without any, a deterministic input is generated.
    #[arg(long = "input", short = 'i', value_name = "NAME=FILE.npy")]
    pub inputs: Vec<String>,
    /// Surrogate gradient for spikes of plain exports (METHOD[:ALPHA]).
    #[arg(long, default_value = "super:100", value_parser = parse_surrogate)]
    pub surrogate: Surrogate,
    /// Whether the resets of plain exports are differentiated through their spike: attached
    /// or detached (an export loses `detach()`, SPEC §1.1); or one choice per spiking layer
    /// with a reset, comma-separated, in the order `snnc inspect` lists the layers.
    #[arg(long, default_value = "attached", value_parser = parse_reset_grad)]
    pub reset_grad: ResetGrads,
    /// The compiled engine compared with the reference: cpu, wgpu or cuda.
    #[arg(long, value_enum, default_value = "cpu")]
    pub engine: Engine,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The arrays: an `.npz` such as `snnc run --output` writes. Arrays are [T], [T, N] or
    /// [T, B, N] (time first).
    #[arg(value_name = "TRACES.npz")]
    pub traces: PathBuf,
    /// The image; its extension picks the format: `.png` or `.svg`.
    #[arg(long, short = 'o', value_name = "OUT.png|OUT.svg")]
    pub output: PathBuf,
    /// The arrays to draw, comma-separated (default: all of them). Panels come in key order.
    #[arg(long, value_delimiter = ',', value_name = "K1,K2")]
    pub keys: Vec<String>,
    /// The batch element drawn from [T, B, N] arrays.
    #[arg(long, default_value_t = 0, value_name = "B")]
    pub batch: usize,
    /// How many neurons of a potential array get a trace (the first N).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub neurons: usize,
    /// Image width in pixels.
    #[arg(long, default_value_t = 900, value_name = "W")]
    pub width: u32,
    /// Image height in pixels (default: 260 per panel).
    #[arg(long, value_name = "H")]
    pub height: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// The NIR file to write.
    #[arg(long, value_name = "OUT.nir")]
    pub nir: PathBuf,
    /// Export only these graph outputs (comma-separated; default: all). NIR graphs output
    /// sequences, so a final-state output (V_T) must be left out.
    #[arg(long, value_delimiter = ',', value_name = "NAME,…")]
    pub outputs: Vec<String>,
}
