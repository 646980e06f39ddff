//! Picking the graph a command works on: as imported, or optimized.

use anyhow::{Context, Result};
use snnc_ir::{Graph, Surrogate};
use snnc_opt::{optimize, OptOptions, Optimized};

use crate::args::Stage;
use crate::model::ModelFile;

/// Runs the optimizer on `g`; `surrogate` becomes the backward of the spikes of plain exports.
pub fn optimized(mf: &ModelFile, g: &Graph, surrogate: Surrogate) -> Result<Optimized> {
    let opts = OptOptions { surrogate, ..OptOptions::default() };
    optimize(g, &opts).with_context(|| format!("{}: optimizer", mf.label()))
}

/// The graph of `stage`.
pub fn staged(mf: &ModelFile, g: Graph, stage: Stage, surrogate: Surrogate) -> Result<Graph> {
    Ok(match stage {
        Stage::Imported => g,
        Stage::Optimized => optimized(mf, &g, surrogate)?.graph,
    })
}
