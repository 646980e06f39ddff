use anyhow::{anyhow, bail, Result};
use snnc_ir::{ExportGrad, ResetGrad, Surrogate};

use crate::args::ExportArgs;
use crate::export::{to_nir, verify, ExportOptions};
use crate::model::ModelFile;

/// The most bias placements tried for recurrent cells (see [`crate::export::Splits`]).
const MAX_TRIES: usize = 64;

/// `snnc export --nir OUT.nir MODEL`: the optimized graph's cells as a NIR graph, checked by
/// reading it back and running both, then written.
pub fn export(a: ExportArgs) -> Result<()> {
    let mf = ModelFile::open(&a.model)?;
    let g = mf.load(&[])?;
    let export = ExportGrad::new(Surrogate::default(), ResetGrad::Attached);
    let opt = crate::stage::optimized(&mf, &g, export, true)?;
    let o = ExportOptions { dt: a.model.dt, reset: a.model.nir_reset, outputs: a.outputs.clone() };
    let first = g.inputs().first().map(|&i| g.ty(i).shape.clone()).unwrap_or_default();
    if first.len() < 2 {
        bail!("{}: the model's first input is not a sequence [T, B, ...]", mf.label());
    }
    let nir_opts = snnc_nir::NirOptions {
        dt: a.model.dt,
        reset: a.model.nir_reset,
        current: a.model.nir_current,
        steps: first[0],
        batch: first[1],
        ..snnc_nir::NirOptions::default()
    };
    let fail = |e: String| anyhow!("{}: cannot export to NIR: {e}", mf.label());
    let (nir, cols) = to_nir(&opt.graph, &o, &Vec::new()).map_err(fail)?;
    let mut result = verify(&a.nir, &g, &nir, &nir_opts).map(|d| (nir, d));
    // A recurrent cell's bias columns: which go to the recurrent Affine (zero at step 0).
    let mut splits = vec![0; cols.len()];
    let mut tries = 1;
    while result.is_err() && !cols.is_empty() && tries < MAX_TRIES {
        if splits != cols {
            tries += 1;
            let (nir, _) = to_nir(&opt.graph, &o, &splits).map_err(fail)?;
            if let Ok(d) = verify(&a.nir, &g, &nir, &nir_opts) {
                result = Ok((nir, d));
            }
        }
        if !next_split(&mut splits, &cols) {
            break;
        }
    }
    let (nir, worst) = result.map_err(fail)?;
    snnc_nir::write_nir(&a.nir, &nir)?;
    let kinds: Vec<String> =
        nir.graph.nodes.iter().map(|(n, k)| format!("{n}: {}", k.name())).collect();
    println!(
        "wrote {} ({} nodes, {} edges; dt = {}, --nir-reset {}): {}",
        a.nir.display(),
        nir.graph.nodes.len(),
        nir.graph.edges.len(),
        a.model.dt,
        a.model.nir_reset,
        kinds.join(", ")
    );
    println!("read back, it matches the model on a random input (largest relative difference {worst:.2e})");
    Ok(())
}

/// The next placement in counting order (each entry 0..=cols[i]); false after the last.
fn next_split(s: &mut [usize], cols: &[usize]) -> bool {
    for (x, &c) in s.iter_mut().zip(cols) {
        if *x < c {
            *x += 1;
            return true;
        }
        *x = 0;
    }
    false
}
