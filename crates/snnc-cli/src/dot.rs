use std::fmt::Write;

use snnc_ir::{Graph, Op};
use snnc_opt::Cell;

/// The node indices of each cell: the sequence op and the linear layer that feeds it.
fn members(g: &Graph, cells: &[Cell]) -> Vec<Vec<usize>> {
    let producers = g.producers();
    cells
        .iter()
        .filter_map(|c| {
            let k = g.nodes().iter().position(|n| n.name == c.node)?;
            let mut m = vec![k];
            let feed = g.nodes()[k].input(0).and_then(|x| producers[x.0]);
            if let Some(p) = feed {
                if matches!(g.nodes()[p].op, Op::Linear { .. } | Op::SpikeLinear { .. }) {
                    m.insert(0, p);
                }
            }
            Some(m)
        })
        .collect()
}

/// Renders a graph in Graphviz dot: graph inputs as ellipses, initializers as small boxes,
/// nodes as boxes labelled with op and name, edges labelled with the value's type. Each cell
/// (a sequence op with the linear layer feeding it) is drawn as a labelled cluster.
pub fn to_dot(g: &Graph, cells: &[Cell]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph \"{}\" {{", esc(g.name()));
    let _ = writeln!(s, "  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];");
    let producers = g.producers();
    for &i in g.inputs() {
        let v = g.value(i);
        let _ = writeln!(s, "  v{} [shape=ellipse, label=\"{}\\n{}\"];", i.0, esc(&v.name), v.ty);
    }
    for &i in g.initializers().keys() {
        let v = g.value(i);
        let _ = writeln!(
            s,
            "  v{} [shape=note, style=filled, fillcolor=\"#eeeeee\", label=\"{}\\n{}\"];",
            i.0,
            esc(&v.name),
            v.ty
        );
    }
    let groups = members(g, cells);
    let node_line = |k: usize| {
        let n = &g.nodes()[k];
        let fused = n.op.iaf_params().is_some()
            || matches!(n.op, Op::Spike { .. } | Op::SpikeReset(_) | Op::SpikeLinear { .. });
        let color = if fused { "#ffd9a8" } else { "#d8e8ff" };
        format!(
            "n{k} [shape=box, style=\"rounded,filled\", fillcolor=\"{color}\", label=\"{}\\n{}\"];",
            n.op.name(),
            esc(&n.name)
        )
    };
    for (i, (cell, m)) in cells.iter().zip(&groups).enumerate() {
        let _ = writeln!(s, "  subgraph cluster_{i} {{");
        let label = format!(
            "{} cell: {}, {} neurons, {} steps, {}",
            cell.kind, cell.order, cell.neurons, cell.steps, cell.surrogate
        );
        let _ = writeln!(
            s,
            "    label=\"{}\"; style=\"rounded,dashed\"; color=\"#c05000\";",
            esc(&label)
        );
        for &k in m {
            let _ = writeln!(s, "    {}", node_line(k));
        }
        s.push_str("  }\n");
    }
    let grouped: Vec<usize> = groups.iter().flatten().copied().collect();
    for (k, n) in g.nodes().iter().enumerate() {
        if !grouped.contains(&k) {
            let _ = writeln!(s, "  {}", node_line(k));
        }
        for id in n.inputs.iter().flatten() {
            let src = match producers[id.0] {
                Some(p) => format!("n{p}"),
                None => format!("v{}", id.0),
            };
            let _ = writeln!(s, "  {src} -> n{k} [label=\"{}\", fontsize=8];", g.ty(*id));
        }
    }
    for &o in g.outputs() {
        let v = g.value(o);
        let _ = writeln!(s, "  out{} [shape=doublecircle, label=\"{}\"];", o.0, esc(&v.name));
        let src = match producers[o.0] {
            Some(p) => format!("n{p}"),
            None => format!("v{}", o.0),
        };
        let _ = writeln!(s, "  {src} -> out{} [label=\"{}\", fontsize=8];", o.0, v.ty);
    }
    s.push_str("}\n");
    s
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
