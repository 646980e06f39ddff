//! Picking the graph a command works on: as imported, or optimized.

use anyhow::{Context, Result};
use snnc_ir::{ExportGrad, Graph};
use snnc_opt::{optimize, OptOptions, Optimized};

use crate::args::{Engine, Stage};
use crate::model::ModelFile;

/// Runs the optimizer on `g`; `export` becomes the backward of the spikes of plain exports and
/// of the resets of the cells it fuses. `leaky`: whether it fuses leaky cells (SPEC §1.2),
/// which the reference interpreter and every compiled engine run ([`compiled_leaky`]).
pub fn optimized(mf: &ModelFile, g: &Graph, export: ExportGrad, leaky: bool) -> Result<Optimized> {
    let opts = OptOptions {
        surrogate: export.surrogate,
        reset_grad: export.reset_grad,
        leaky,
        ..OptOptions::default()
    };
    optimize(g, &opts).with_context(|| format!("{}: optimizer", mf.label()))
}

/// Whether a plan for `engine` may hold fused leaky cells (SPEC §1.2): every compiled engine
/// (cpu, wgpu, cuda) has leaky kernels, so their plans fuse them like the reference's
/// optimized graph does.
pub fn compiled_leaky(_engine: Engine) -> bool {
    true
}

/// The graph of `stage` (for the reference interpreter, which runs every fused cell).
pub fn staged(mf: &ModelFile, g: Graph, stage: Stage, export: ExportGrad) -> Result<Graph> {
    Ok(match stage {
        Stage::Imported => g,
        Stage::Optimized => optimized(mf, &g, export, true)?.graph,
    })
}
