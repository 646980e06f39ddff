//! `--reset-grad`: one choice for every layer, or one per spiking layer.
//!
//! An export loses `detach()` (SPEC §1.1), and a network may mix layers that detach their reset
//! with layers that do not (Norse's `LIFRecurrentCell` does, its `LIFCell` does not). A list
//! `detached,attached` gives each layer with a reset its own choice, in the order of
//! [`snnc_interp::reset_layers`] (the order `snnc inspect` lists them): the layers marked
//! `detached` get a `Detach` between their spikes and their resets, which the optimizer fuses
//! into `detached` cells, and every engine differentiates as the library did.

use std::fmt;

use anyhow::{bail, Result};
use snnc_interp::ResetLayer;
use snnc_ir::{ExportGrad, Graph, ResetGrad, Surrogate};

use crate::model::ModelFile;

/// The `--reset-grad` choices: one for every layer, or one per layer with a reset.
#[derive(Debug, Clone, PartialEq)]
pub struct ResetGrads(Vec<ResetGrad>);

impl ResetGrads {
    /// The backward of the model's plain spikes and resets: one choice applies to every layer
    /// (as does a list whose entries agree); a list that differs is kept in `mf`, whose
    /// [`ModelFile::load`] then detaches the layers it marks, and the rest are `attached`.
    /// A compiled plan fixed its choices when it was compiled (`snnc compile --reset-grad`),
    /// so there, as `--surrogate`, the list changes nothing.
    pub fn export(&self, mf: &mut ModelFile, surrogate: Surrogate) -> ExportGrad {
        let first = self.0[0];
        if self.0.iter().all(|&r| r == first) {
            return ExportGrad::new(surrogate, first);
        }
        if !mf.is_plan() {
            mf.set_layer_resets(self.0.clone());
        }
        ExportGrad::new(surrogate, ResetGrad::Attached)
    }
}

impl std::str::FromStr for ResetGrads {
    type Err = String;

    /// `attached`, `detached`, or a comma-separated list of them (one per layer).
    fn from_str(s: &str) -> Result<Self, String> {
        let list = s.split(',').map(|p| p.trim().parse::<ResetGrad>()).collect::<Result<_, _>>()?;
        Ok(ResetGrads(list))
    }
}

impl fmt::Display for ResetGrads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(|r| r.to_string()).collect();
        write!(f, "{}", names.join(","))
    }
}

/// One line per layer: `layer 1: 100 comparisons from node_gt`.
pub fn describe(g: &Graph, layers: &[ResetLayer]) -> Vec<String> {
    layers
        .iter()
        .enumerate()
        .map(|(k, l)| {
            let first = &g.nodes()[l.comparisons[0]].name;
            let n = l.comparisons.len();
            format!("layer {}: {n} comparison{} from {first}", k + 1, if n == 1 { "" } else { "s" })
        })
        .collect()
}

/// `g` with the resets of the layers that `choices` marks `detached` detached; `label` names
/// the file in the error when the list does not have one entry per layer.
pub fn apply(label: &str, g: Graph, choices: &[ResetGrad]) -> Result<Graph> {
    let layers = snnc_interp::reset_layers(&g);
    if layers.len() != choices.len() {
        let found = describe(&g, &layers);
        bail!(
            "{label}: --reset-grad gives {} choices, but the model has {} spiking layer{} with a \
             reset{}{}",
            choices.len(),
            layers.len(),
            if layers.len() == 1 { "" } else { "s" },
            if found.is_empty() { "" } else { ": " },
            found.join("; ")
        );
    }
    let which: Vec<bool> = choices.iter().map(|&r| r == ResetGrad::Detached).collect();
    snnc_interp::detach_resets(&g, &layers, &which)
        .map_err(|e| anyhow::anyhow!("{label}: detaching the resets: {e}"))
}
