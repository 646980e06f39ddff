use anyhow::{Context, Result};
use serde_json::{json, Value};
use snnc_ir::Graph;
use snnc_opt::{Cell, Optimized};

use crate::args::{InspectArgs, Stage};
use crate::model::ModelFile;

/// Tensors with more elements than this are elided from the optimized graph's listing.
const LISTING_INLINE: usize = 8;

/// `snnc inspect`: each stage's node count and op histogram (both stages by default), the
/// optimized graph's listing, the rewrites that fired and the fused cells; `--json` and `--dot`.
pub fn inspect(a: InspectArgs) -> Result<()> {
    let mut mf = ModelFile::open(&a.model)?;
    let export = a.reset_grad.export(&mut mf, a.surrogate);
    let g = mf.load(&[])?;
    let show_imported = a.stage != Some(Stage::Optimized);
    let opt = match a.stage {
        Some(Stage::Imported) => None,
        _ => Some(crate::stage::optimized(&mf, &g, export, true)?),
    };
    // The layers `--reset-grad` numbers, on the graph as imported.
    let layers = snnc_interp::reset_layers(&g);
    let shown = opt.as_ref().map_or(&g, |o| &o.graph);
    let cells = snnc_opt::cells(shown);
    if let Some(path) = &a.dot {
        std::fs::write(path, crate::dot::to_dot(shown, &cells))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if a.json {
        let mut doc = json!({ "model": mf.label(), "cells": cells.iter().map(cell_json).collect::<Vec<_>>() });
        if show_imported {
            doc["imported"] = stage_json(&g);
        }
        doc["reset_layers"] = layers
            .iter()
            .map(|l| {
                json!({
                    "comparisons": l.comparisons.len(),
                    "first": g.nodes()[l.comparisons[0]].name,
                })
            })
            .collect();
        if let Some(o) = &opt {
            doc["optimized"] = stage_json(&o.graph);
            doc["rewrites"] = json!(o.rewrites);
            doc["stop_reason"] = json!(o.stop_reason);
            doc["optimizer"] = run_json(o);
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    if show_imported {
        print_stage(&mf, &g, "imported");
    }
    if !layers.is_empty() {
        println!("  spiking layers with a reset (the order of a per-layer --reset-grad):");
        for line in crate::reset_grads::describe(&g, &layers) {
            println!("    {line}");
        }
    }
    if let Some(o) = &opt {
        print_stage(&mf, &o.graph, "optimized");
        print_optimizer(o);
        println!("  listing (tensors over {LISTING_INLINE} values elided):");
        for line in snnc_text::print_elided(&o.graph, LISTING_INLINE).lines() {
            println!("    {line}");
        }
    }
    if !cells.is_empty() {
        println!("  cells:");
        for c in &cells {
            println!("    {}", cell_line(c));
        }
    }
    if let Some(path) = &a.dot {
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn print_stage(mf: &ModelFile, g: &Graph, stage: &str) {
    let s = stage_json(g);
    println!("{}: graph '{}', {stage} stage", mf.label(), g.name());
    println!("  nodes: {}", g.nodes().len());
    println!("  initializers: {} ({} float parameters)", g.initializers().len(), s["parameters"]);
    for (what, ids) in [("input", g.inputs()), ("output", g.outputs())] {
        for &i in ids {
            println!("  {what:<7} {:<16} {}", g.value(i).name, g.ty(i));
        }
    }
    println!("  ops:");
    for (op, n) in g.op_histogram() {
        println!("    {op:<20} {n}");
    }
}

fn print_optimizer(o: &Optimized) {
    println!(
        "  optimizer: {} after {} iterations ({} e-nodes, {} e-classes), {:.3} s",
        o.stop_reason, o.iterations, o.egraph_nodes, o.egraph_classes, o.seconds
    );
    println!("  cost: imported {:.0}, optimized {:.0}", o.imported_cost, o.optimized_cost);
    if let Some(why) = &o.fell_back {
        println!("  kept the imported graph: {why}");
    }
    println!("  rewrites fired:");
    for (rule, n) in &o.rewrites {
        println!("    {rule:<24} {n}");
    }
}

/// A scalar-or-per-neuron parameter: the value, or the first four of a list.
fn shown(v: &[f32]) -> String {
    let vals: Vec<String> = v.iter().take(4).map(|x| format!("{x}")).collect();
    let more = if v.len() > 4 { format!(", … ({} values)", v.len()) } else { String::new() };
    if v.len() == 1 {
        vals[0].clone()
    } else {
        format!("[{}{more}]", vals.join(", "))
    }
}

/// `, α = …, β = …, γ = …, v_leak = …` for a leaky cell (and `V_T before the reset`, and the
/// reset amount of a cell with its own), "" for the IF cell.
fn leak_text(c: &Cell) -> String {
    let mut out = String::new();
    if !c.leak.is_if() {
        let l = &c.leak;
        for (name, v) in [("α", &l.alpha), ("β", &l.beta), ("γ", &l.gamma), ("v_leak", &l.v_leak)]
        {
            out.push_str(&format!(", {name} = {}", shown(v)));
        }
    }
    if let Some(d) = &c.reset_amount {
        out.push_str(&format!(", reset amount = {}", shown(d)));
    }
    if c.v_out == snnc_ir::VOut::BeforeReset {
        out.push_str(", V_T before the reset");
    }
    out
}

/// What a `subtract` reset removes per spike (its own amount, else v_th); null for the
/// other resets, which remove no amount.
fn amount_json(c: &Cell) -> Value {
    if c.family.reset != snnc_ir::Reset::Subtract {
        return Value::Null;
    }
    json!(c.reset_amount.as_ref().unwrap_or(&c.v_th))
}

fn cell_line(c: &Cell) -> String {
    format!(
        "{} '{}': {}{}{}, {} neurons, {} steps, batch {}, surrogate {}, input from {}",
        c.kind,
        c.node,
        c.order,
        if c.family.is_norse() {
            String::new()
        } else {
            let f = c.family;
            format!(" ({} {} {} {})", f.threshold, f.reset, f.reset_grad, f.spikes)
        },
        leak_text(c),
        c.neurons,
        c.steps,
        c.batch,
        c.surrogate,
        c.input_op.as_deref().unwrap_or("a graph input")
    )
}

fn cell_json(c: &Cell) -> Value {
    json!({
        "kind": c.kind,
        "node": c.node,
        "order": c.order.name(),
        "neurons": c.neurons,
        "steps": c.steps,
        "batch": c.batch,
        "surrogate": c.surrogate.to_string(),
        "v_th": c.v_th,
        "v_reset": c.v_reset,
        "input_op": c.input_op,
        "initial_potential": c.has_v0,
        "threshold": c.family.threshold.name(),
        "reset": c.family.reset.name(),
        "reset_grad": c.family.reset_grad.name(),
        "spikes": c.family.spikes.name(),
        "alpha_syn": c.leak.alpha,
        "beta": c.leak.beta,
        "gamma": c.leak.gamma,
        "v_leak": c.leak.v_leak,
        "v_out": c.v_out.name(),
        "reset_amount": amount_json(c),
    })
}

fn run_json(o: &Optimized) -> Value {
    json!({
        "iterations": o.iterations,
        "egraph_nodes": o.egraph_nodes,
        "egraph_classes": o.egraph_classes,
        "imported_cost": o.imported_cost,
        "optimized_cost": o.optimized_cost,
        "fell_back": o.fell_back,
        "seconds": o.seconds,
    })
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
