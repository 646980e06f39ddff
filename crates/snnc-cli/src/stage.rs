//! Picking the graph a command works on: as imported, or optimized.

use anyhow::{Context, Result};
use snnc_ir::{ExportGrad, Graph};
use snnc_opt::{optimize, OptOptions, Optimized};

use crate::args::Stage;
use crate::model::ModelFile;

/// Runs the optimizer on `g`; `export` becomes the backward of the spikes of plain exports and
/// of the resets of the cells it fuses.
pub fn optimized(mf: &ModelFile, g: &Graph, export: ExportGrad) -> Result<Optimized> {
    let opts = OptOptions {
        surrogate: export.surrogate,
        reset_grad: export.reset_grad,
        ..OptOptions::default()
    };
    optimize(g, &opts).with_context(|| format!("{}: optimizer", mf.label()))
}

/// The graph of `stage`.
pub fn staged(mf: &ModelFile, g: Graph, stage: Stage, export: ExportGrad) -> Result<Graph> {
    Ok(match stage {
        Stage::Imported => g,
        Stage::Optimized => optimized(mf, &g, export)?.graph,
    })
}
