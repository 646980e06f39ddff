use anyhow::{Context, Result};
use serde_json::{json, Value};
use snnc_ir::Graph;

use crate::args::InspectArgs;
use crate::model::ModelFile;

/// `snnc inspect`: node count, op histogram, inputs and outputs; `--json` and `--dot`.
pub fn inspect(a: InspectArgs) -> Result<()> {
    let mf = ModelFile::open(&a.model)?;
    let g = mf.load(&[])?;
    if let Some(path) = &a.dot {
        std::fs::write(path, crate::dot::to_dot(&g))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let stage = stage_json(&g);
    if a.json {
        let doc = json!({ "model": mf.label(), "imported": stage });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("{}: graph '{}', imported stage", mf.label(), g.name());
    println!("  nodes: {}", g.nodes().len());
    println!(
        "  initializers: {} ({} float parameters)",
        g.initializers().len(),
        stage["parameters"]
    );
    for (what, ids) in [("input", g.inputs()), ("output", g.outputs())] {
        for &i in ids {
            println!("  {what:<7} {:<16} {}", g.value(i).name, g.ty(i));
        }
    }
    println!("  ops:");
    for (op, n) in g.op_histogram() {
        println!("    {op:<20} {n}");
    }
    if let Some(path) = &a.dot {
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The JSON description of one graph stage (SPEC §4 keys `nodes` and `ops`, and more).
fn stage_json(g: &Graph) -> Value {
    let io = |ids: &[snnc_ir::ValueId]| -> Vec<Value> {
        ids.iter()
            .map(|&i| json!({ "name": g.value(i).name, "type": g.ty(i).to_string() }))
            .collect()
    };
    let params: usize =
        g.initializers().values().filter(|t| t.dtype().is_float()).map(|t| t.len()).sum();
    json!({
        "nodes": g.nodes().len(),
        "ops": g.op_histogram(),
        "inputs": io(g.inputs()),
        "outputs": io(g.outputs()),
        "initializers": g.initializers().len(),
        "parameters": params,
    })
}
