use std::fmt::Write;

use snnc_ir::Graph;

/// Renders a graph in Graphviz dot: graph inputs as ellipses, initializers as small boxes,
/// nodes as boxes labelled with op and name, edges labelled with the value's type.
pub fn to_dot(g: &Graph) -> String {
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
    for (k, n) in g.nodes().iter().enumerate() {
        let color = if n.op.iaf_params().is_some() || n.op.name() == "Spike" {
            "#ffd9a8"
        } else {
            "#d8e8ff"
        };
        let _ = writeln!(
            s,
            "  n{k} [shape=box, style=\"rounded,filled\", fillcolor=\"{color}\", label=\"{}\\n{}\"];",
            n.op.name(),
            esc(&n.name)
        );
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
