//! The printer: a graph as text that parses back to the same graph, bit for bit.

use std::collections::HashSet;
use std::fmt::Write;

use snnc_ir::{
    Family, Graph, IafParams, Leak, Op, ResetParams, Surrogate, Tensor, TensorType, VOut,
};

use crate::literal::literal;
use crate::numbers::fmt_f32;

/// Names that must be quoted even though they look like identifiers.
const RESERVED: &[&str] =
    &["_", "inf", "nan", "input", "weight", "output", "graph", "npz", "true", "false"];

/// `s` as a double-quoted string literal, escaping `"`, `\` and control characters.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_bare(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        && !RESERVED.contains(&s)
}

/// A value (or graph) name: bare when it is a plain identifier, else `%"..."`.
pub(crate) fn value_name(s: &str) -> String {
    if is_bare(s) {
        s.to_string()
    } else {
        format!("%{}", quote(s))
    }
}

fn node_name(s: &str) -> String {
    if is_bare(s) {
        format!("@{s}")
    } else {
        format!("@{}", quote(s))
    }
}

/// Where `write_file` puts large tensors.
pub(crate) struct External {
    /// The archive's file name, as written in `npz("FILE", "KEY")`.
    pub file: String,
    /// Tensors with more elements than this go to the archive.
    pub limit: usize,
    /// Instead of archiving large tensors, write a placeholder (a listing for people, which
    /// does not parse back).
    pub elide: bool,
    /// The arrays to write, by key.
    pub arrays: Vec<(String, Tensor)>,
    keys: HashSet<String>,
}

impl External {
    /// An empty archive called `file`.
    pub(crate) fn new(file: String, limit: usize) -> Self {
        External { file, limit, elide: false, arrays: Vec::new(), keys: HashSet::new() }
    }

    fn key(&mut self, hint: &str) -> String {
        let mut base: String = hint
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' })
            .collect();
        if base.is_empty() {
            base = "tensor".into();
        }
        let mut key = base.clone();
        let mut n = 2;
        while self.keys.contains(&key) {
            key = format!("{base}_{n}");
            n += 1;
        }
        self.keys.insert(key.clone());
        key
    }
}

fn tensor_text(t: &Tensor, hint: &str, ext: &mut Option<External>, indent: &str) -> String {
    match ext {
        Some(e) if t.len() > e.limit && e.elide => format!("... ({} values)", t.len()),
        Some(e) if t.len() > e.limit => {
            let key = e.key(hint);
            e.arrays.push((key.clone(), t.clone()));
            format!("npz({}, {})", quote(&e.file), quote(&key))
        }
        _ => literal(t, indent),
    }
}

fn list<T>(v: &[T], f: impl Fn(&T) -> String) -> String {
    format!("[{}]", v.iter().map(f).collect::<Vec<_>>().join(", "))
}

fn surrogate_attrs(s: &Surrogate) -> String {
    format!("method = {}, alpha = {}", quote(s.method.name()), fmt_f32(s.alpha))
}

fn floats(v: &[f32]) -> String {
    if v.len() == 1 {
        fmt_f32(v[0])
    } else {
        list(v, |x| fmt_f32(*x))
    }
}

/// The family's choices that differ from Norse's, each as `, name = "value"` (SPEC §1.1).
fn family_attrs(f: &Family) -> String {
    let d = Family::default();
    let mut out = String::new();
    let mut add = |name: &str, value: &str, default: &str| {
        if value != default {
            out.push_str(&format!(", {name} = {}", quote(value)));
        }
    };
    add("threshold", f.threshold.name(), d.threshold.name());
    add("reset", f.reset.name(), d.reset.name());
    add("reset_grad", f.reset_grad.name(), d.reset_grad.name());
    add("spikes", f.spikes.name(), d.spikes.name());
    out
}

/// The leak parameters and `v_out` that differ from the IF cell's, each as `, name = value`
/// (SPEC §1.2).
fn leak_attrs(p: &IafParams) -> String {
    let d = Leak::default();
    let mut out = String::new();
    for ((name, v), (_, dv)) in p.leak.named().into_iter().zip(d.named()) {
        if v != dv {
            out.push_str(&format!(", {name} = {}", floats(v)));
        }
    }
    if p.v_out != VOut::AfterReset {
        out.push_str(&format!(", v_out = {}", quote(p.v_out.name())));
    }
    out
}

fn iaf_attrs(p: &IafParams) -> String {
    format!(
        "v_th = {}, v_reset = {}, {}, order = {}{}{}{}",
        floats(&p.v_th),
        floats(&p.v_reset),
        surrogate_attrs(&p.surrogate),
        quote(p.order.name()),
        family_attrs(&p.family),
        amount_attr(&p.reset_amount),
        leak_attrs(p)
    )
}

/// `, reset_amount = value` when the cell has its own reset amount (absent: v_th).
fn amount_attr(a: &Option<Vec<f32>>) -> String {
    a.as_ref().map(|a| format!(", reset_amount = {}", floats(a))).unwrap_or_default()
}

fn reset_attrs(p: &ResetParams) -> String {
    format!(
        "v_th = {}, v_reset = {}, {}{}{}",
        floats(&p.v_th),
        floats(&p.v_reset),
        surrogate_attrs(&p.surrogate),
        family_attrs(&p.family),
        amount_attr(&p.reset_amount)
    )
}

fn op_attrs(op: &Op, hint: &str, ext: &mut Option<External>) -> String {
    match op {
        Op::Gemm { alpha, beta, trans_a, trans_b } => format!(
            "alpha = {}, beta = {}, trans_a = {trans_a}, trans_b = {trans_b}",
            fmt_f32(*alpha),
            fmt_f32(*beta)
        ),
        Op::Cast { to } => format!("to = {}", quote(to.name())),
        Op::Gather { axis } | Op::Concat { axis } => format!("axis = {axis}"),
        Op::Unsqueeze { axes } | Op::Squeeze { axes } => {
            format!("axes = {}", list(axes, |a| a.to_string()))
        }
        Op::Reshape { shape } => format!("shape = {}", list(shape, |a| a.to_string())),
        Op::Transpose { perm } => format!("perm = {}", list(perm, |a| a.to_string())),
        Op::Slice(sp) => {
            let ints = |v: &[i64]| list(v, |a| a.to_string());
            format!(
                "starts = {}, ends = {}, axes = {}, steps = {}",
                ints(&sp.starts),
                ints(&sp.ends),
                ints(&sp.axes),
                ints(&sp.steps)
            )
        }
        Op::Constant { value } => {
            let ty = value.tensor_type();
            format!("value = {ty} {}", tensor_text(value, hint, ext, "    "))
        }
        Op::Spike { surrogate } => surrogate_attrs(surrogate),
        Op::Conv(c) => format!(
            "strides = {}, pads = {}, dilations = {}, group = {}",
            list(&c.strides, |a| a.to_string()),
            list(&c.pads, |a| a.to_string()),
            list(&c.dilations, |a| a.to_string()),
            c.group
        ),
        Op::Pool(p) => {
            let mut s = format!(
                "kernel_shape = {}, strides = {}, pads = {}",
                list(&p.kernel, |a| a.to_string()),
                list(&p.strides, |a| a.to_string()),
                list(&p.pads, |a| a.to_string())
            );
            if let snnc_ir::PoolKind::Avg { count_include_pad } = p.kind {
                s.push_str(&format!(", count_include_pad = {count_include_pad}"));
            }
            s
        }
        Op::Linear { trans_b } | Op::SpikeLinear { trans_b } => format!("trans_b = {trans_b}"),
        Op::SpikeReset(p) => reset_attrs(p),
        _ => op.iaf_params().map(iaf_attrs).unwrap_or_default(),
    }
}

/// Prints `g` with every weight inline; [`parse_str`](crate::parse_str) reads it back as the
/// same graph (same names, value order, types, bits of every constant and attribute).
pub fn print(g: &Graph) -> String {
    render(g, &mut None)
}

/// Prints `g` for reading, with every tensor of more than `limit` elements elided as
/// `... (N values)`. The listing shows the whole structure but, unlike [`print`], does not parse
/// back when something was elided.
pub fn print_elided(g: &Graph, limit: usize) -> String {
    let mut ext = External::new(String::new(), limit);
    ext.elide = true;
    render(g, &mut Some(ext))
}

/// Prints `g`; with `ext`, tensors over its limit become `npz(...)` references collected in it.
pub(crate) fn render(g: &Graph, ext: &mut Option<External>) -> String {
    let mut out = format!("graph {} {{\n", value_name(g.name()));
    // Inputs and weights are printed just before the first node defined after them, so the
    // parsed graph numbers its values exactly as `g` does.
    let mut decls: Vec<usize> = g.inputs().iter().map(|v| v.0).collect();
    decls.extend(g.initializers().keys().map(|v| v.0));
    decls.sort_unstable();
    let mut decls = decls.into_iter().peekable();
    let decl = |out: &mut String, id: usize, ext: &mut Option<External>| {
        let v = &g.values()[id];
        let name = value_name(&v.name);
        match g.initializer(snnc_ir::ValueId(id)) {
            Some(t) => {
                let text = tensor_text(t, &v.name, ext, "    ");
                let _ = writeln!(out, "  weight {name}: {} = {text}", v.ty);
            }
            None => {
                let _ = writeln!(out, "  input {name}: {}", v.ty);
            }
        }
    };
    for (i, n) in g.nodes().iter().enumerate() {
        // Values older than the node's first output existed when it was added; a node without
        // outputs needs at least the declarations it reads.
        let first = n.outputs.iter().flatten().map(|v| v.0).min();
        let bound =
            first.unwrap_or_else(|| n.inputs.iter().flatten().map(|v| v.0 + 1).max().unwrap_or(0));
        while let Some(id) = decls.next_if(|&d| d < bound) {
            decl(&mut out, id, ext);
        }
        out.push_str("  ");
        if n.name != format!("{}_{i}", n.op.name()) {
            let _ = write!(out, "{} ", node_name(&n.name));
        }
        let outs: Vec<String> = n
            .outputs
            .iter()
            .map(|o| o.map_or("_".to_string(), |v| value_name(&g.value(v).name)))
            .collect();
        if !outs.is_empty() {
            let _ = write!(out, "{} = ", outs.join(", "));
        }
        let ins: Vec<String> = n
            .inputs
            .iter()
            .map(|o| o.map_or("_".to_string(), |v| value_name(&g.value(v).name)))
            .collect();
        let _ = write!(out, "{}({})", n.op.name(), ins.join(", "));
        let hint = n.output(0).map_or(n.name.as_str(), |v| g.value(v).name.as_str());
        let attrs = op_attrs(&n.op, hint, ext);
        if !attrs.is_empty() {
            let _ = write!(out, " {{{attrs}}}");
        }
        let types: Vec<String> =
            n.outputs.iter().map(|o| o.map_or("_".to_string(), |v| type_text(g.ty(v)))).collect();
        if n.outputs.iter().any(Option::is_some) {
            let _ = write!(out, "  # {}", types.join(", "));
        }
        out.push('\n');
    }
    for id in decls {
        decl(&mut out, id, ext);
    }
    if !g.outputs().is_empty() {
        let outs: Vec<String> = g.outputs().iter().map(|&v| value_name(&g.value(v).name)).collect();
        let _ = writeln!(out, "  output {}", outs.join(", "));
    }
    out.push_str("}\n");
    out
}

fn type_text(t: &TensorType) -> String {
    t.to_string()
}
