//! Elementwise kernels: a fused register program rendered as straight-line code (one thread
//! per element, each input read through its broadcast strides), and the gradient of one
//! operand (one thread per element of the operand, summing the terms of the elements that
//! broadcast to it with compensated f32 sums; the CPU engine sums these in f64).

use std::fmt::Write;

use snnc_plan::{BinOp, EwGradK, EwInput, EwK, GradRule, Instr, UnOp};

use crate::layout::Layout;
use crate::wgsl::common::{f, off, per_elem, surrogate_fn, u};
use crate::wgsl::{need, numel, Launch, ERR_DIV_ZERO};

/// The element strides of `src` broadcast to `dst` (NumPy rules; 0 on repeated axes).
pub fn bstrides(src: &[usize], dst: &[usize]) -> Result<Vec<usize>, String> {
    let bad = || format!("cannot broadcast {src:?} to {dst:?} (invalid plan)");
    if src.len() > dst.len() {
        return Err(bad());
    }
    let mut out = vec![0; dst.len()];
    let mut s = 1;
    for i in (0..src.len()).rev() {
        let d = i + dst.len() - src.len();
        if src[i] == dst[d] {
            out[d] = if src[i] == 1 { 0 } else { s };
        } else if src[i] != 1 {
            return Err(bad());
        }
        s *= src[i];
    }
    Ok(out)
}

/// `Σ c_d·stride_d` over the coordinates `c0, c1, …` as a WGSL expression.
fn lin(strides: &[usize]) -> Result<String, String> {
    let terms: Vec<String> = strides
        .iter()
        .enumerate()
        .filter(|(_, &s)| s != 0)
        .map(|(d, &s)| Ok(if s == 1 { format!("c{d}") } else { format!("c{d} * {}", u(s)?) }))
        .collect::<Result<_, String>>()?;
    Ok(if terms.is_empty() { "0u".into() } else { terms.join(" + ") })
}

/// Statements that split `var` into coordinates `c0 … c{r−1}` of `shape` (row-major).
fn coords(var: &str, shape: &[usize], names: &[usize]) -> Result<String, String> {
    let mut s = format!("  var rem_{var} = {var};\n");
    for (&d, &n) in names.iter().zip(shape).rev() {
        let _ = writeln!(
            s,
            "  let c{d} = rem_{var} % {}; rem_{var} = rem_{var} / {};",
            u(n.max(1))?,
            u(n.max(1))?
        );
    }
    Ok(s)
}

/// The offset of `inp` in its buffer at the current coordinates.
fn input_at(l: &Layout, inp: &EwInput, shape: &[usize]) -> Result<String, String> {
    need(l, inp.buf, numel(&inp.shape)?, "elementwise input")?;
    let o = off(l, inp.buf)?;
    if inp.shape == shape {
        return Ok(format!("m[{o} + i]"));
    }
    Ok(format!("m[{o} + {}]", lin(&bstrides(&inp.shape, shape)?)?))
}

/// Saturating truncation to an integer (NaN gives 0), as a cast to i64 does.
fn trunc_sat(x: &str) -> String {
    let lim = f(9.223_372e18);
    format!("select(clamp(trunc({x}), -{lim}, {lim}), 0.0, {x} != {x})")
}

fn un(op: UnOp, a: &str) -> String {
    match op {
        UnOp::Neg => format!("-{a}"),
        UnOp::Relu => format!("select({a}, 0.0, {a} < 0.0)"),
        UnOp::Sigmoid => format!("1.0 / (1.0 + exp(-{a}))"),
        UnOp::Tanh => format!("tanh(clamp({a}, -20.0, 20.0))"),
        UnOp::Theta => format!("select(0.0, 1.0, {a} > 0.0)"),
        UnOp::Trunc => trunc_sat(a),
        UnOp::NonZero => format!("select(0.0, 1.0, {a} != 0.0)"),
        UnOp::Not => format!("select(0.0, 1.0, {a} == 0.0)"),
        UnOp::Abs => format!("abs({a})"),
        UnOp::Sign => format!("select(select({a}, -1.0, {a} < 0.0), 1.0, {a} > 0.0)"),
        UnOp::Floor => format!("floor({a})"),
    }
}

fn bin(op: BinOp, a: &str, b: &str) -> String {
    match op {
        BinOp::Add => format!("{a} + {b}"),
        BinOp::Sub => format!("{a} - {b}"),
        BinOp::Mul => format!("{a} * {b}"),
        BinOp::Div => format!("{a} / {b}"),
        BinOp::DivInt => trunc_sat(&format!("({a} / {b})")),
        BinOp::Greater => format!("select(0.0, 1.0, {a} > {b})"),
        BinOp::Less => format!("select(0.0, 1.0, {a} < {b})"),
        BinOp::GreaterOrEqual => format!("select(0.0, 1.0, {a} >= {b})"),
        BinOp::LessOrEqual => format!("select(0.0, 1.0, {a} <= {b})"),
        BinOp::Equal => format!("select(0.0, 1.0, {a} == {b})"),
        // a + b is NaN when either is: max/min would drop the NaN.
        BinOp::Max => format!("select(max({a}, {b}), {a} + {b}, {a} != {a} || {b} != {b})"),
        BinOp::Min => format!("select(min({a}, {b}), {a} + {b}, {a} != {a} || {b} != {b})"),
    }
}

/// The fused elementwise program.
pub fn ew(step: usize, l: &Layout, k: &EwK) -> Result<Vec<Launch>, String> {
    let total = numel(&k.shape)?;
    let axes: Vec<usize> = (0..k.shape.len()).collect();
    let mut body = String::new();
    if k.inputs.iter().any(|i| i.shape != k.shape) {
        body.push_str(&coords("i", &k.shape, &axes)?);
    }
    let r = |x: u16| -> Result<String, String> {
        if x < k.regs {
            Ok(format!("r{x}"))
        } else {
            Err("malformed elementwise program (invalid plan)".into())
        }
    };
    for x in 0..k.regs {
        let _ = writeln!(body, "  var r{x} = 0.0;");
    }
    for ins in &k.code {
        let line = match *ins {
            Instr::Load { dst, input } => {
                let inp = k
                    .inputs
                    .get(input as usize)
                    .ok_or("malformed elementwise program (invalid plan)")?;
                format!("{} = {};", r(dst)?, input_at(l, inp, &k.shape)?)
            }
            Instr::Un { dst, op, a } => format!("{} = {};", r(dst)?, un(op, &r(a)?)),
            Instr::Bin { dst, op, a, b } => {
                let (ra, rb) = (r(a)?, r(b)?);
                let chk = if op == BinOp::DivInt {
                    format!("if ({rb} == 0.0) {{ fail({ERR_DIV_ZERO}u); }} ")
                } else {
                    String::new()
                };
                format!("{chk}{} = {};", r(dst)?, bin(op, &ra, &rb))
            }
            Instr::Select { dst, c, a, b } => {
                format!("{} = select({}, {}, {} != 0.0);", r(dst)?, r(b)?, r(a)?, r(c)?)
            }
        };
        let _ = writeln!(body, "  {line}");
    }
    for &(reg, b) in &k.stores {
        need(l, b, total, "elementwise output")?;
        let _ = writeln!(body, "  m[{} + i] = {};", off(l, b)?, r(reg)?);
    }
    Ok(vec![per_elem(step, total, "", &body)?])
}

fn term(rule: GradRule, sg: &str) -> String {
    match rule {
        GradRule::Scale(c) => format!("{} * g", f(c)),
        GradRule::Mul => "g * o0".into(),
        GradRule::DivNum => "g / o0".into(),
        GradRule::DivDen => "(-g * o0 / o1) / o1".into(),
        GradRule::Compare { greater, wrt_b, .. } => {
            let d =
                if greater { format!("g * {sg}(o0 - o1)") } else { format!("-g * {sg}(o1 - o0)") };
            if wrt_b {
                format!("-({d})")
            } else {
                d
            }
        }
        GradRule::Relu => "select(0.0, g, o0 > 0.0)".into(),
        GradRule::Sigmoid => "g * (1.0 / (1.0 + exp(-o0))) * (1.0 - 1.0 / (1.0 + exp(-o0)))".into(),
        GradRule::Tanh => {
            "g * (1.0 - tanh(clamp(o0, -20.0, 20.0)) * tanh(clamp(o0, -20.0, 20.0)))".into()
        }
        GradRule::Spike(_) => format!("g * {sg}(o0)"),
        GradRule::WhereTrue => "select(0.0, g, o0 != 0.0)".into(),
        GradRule::WhereFalse => "select(g, 0.0, o0 != 0.0)".into(),
        GradRule::Abs => "select(select(0.0, -g, o0 < 0.0), g, o0 > 0.0)".into(),
        GradRule::Extremum { max, wrt_b } => {
            let (a, b) = if wrt_b { ("o1", "o0") } else { ("o0", "o1") };
            let cmp = if max { ">" } else { "<" };
            format!("select(select(0.0, 0.5 * g, {a} == {b}), g, {a} {cmp} {b})")
        }
        GradRule::Clip { part, lo, hi } => {
            let below = if lo { "o0 < o1" } else { "false" };
            let above = match (lo, hi) {
                (_, false) => "false",
                (true, true) => "o0 > o2",
                (false, true) => "o0 > o1",
            };
            let from = format!("select(select(0u, 2u, {above}), 1u, {below})");
            format!("select(0.0, g, {from} == {part}u)")
        }
    }
}

/// The lines that load `operands` as `o0, o1, o2` (0 when absent) at element `e`.
fn operand_loads(l: &Layout, operands: &[EwInput], shape: &[usize]) -> Result<String, String> {
    if operands.len() > 3 {
        return Err("too many operands (invalid plan)".into());
    }
    let mut out = String::new();
    for (j, op) in operands.iter().enumerate() {
        need(l, op.buf, numel(&op.shape)?, "operand")?;
        let st = bstrides(&op.shape, shape)?;
        let _ = writeln!(out, "    let o{j} = m[{} + {}];", off(l, op.buf)?, lin(&st)?);
    }
    for j in operands.len()..3 {
        let _ = writeln!(out, "    let o{j} = 0.0;");
    }
    Ok(out)
}

/// The gradient of one operand: per element of the operand, the compensated sum of the terms
/// of every element of the op's output that broadcasts to it.
pub fn ew_grad(step: usize, l: &Layout, k: &EwGradK) -> Result<Vec<Launch>, String> {
    let total = numel(&k.shape)?;
    let dlen = numel(&k.dst_shape)?;
    need(l, k.g, total, "upstream gradient")?;
    need(l, k.dst, dlen, "gradient")?;
    let surrogate = |name: &str, rule: GradRule| match rule {
        GradRule::Compare { surrogate, .. } | GradRule::Spike(surrogate) => {
            surrogate_fn(name, &surrogate)
        }
        _ => String::new(),
    };
    let mut helpers = surrogate("sg", k.rule);
    for (s, link) in k.pre.iter().enumerate() {
        helpers.push_str(&surrogate(&format!("sgp{s}"), link.rule));
    }
    let rank = k.shape.len();
    let dst_st = bstrides(&k.dst_shape, &k.shape)?;
    // Axes kept in the operand come from its element index; the others are summed over.
    let kept: Vec<usize> = (0..rank).filter(|&a| dst_st[a] != 0).collect();
    let summed: Vec<usize> = (0..rank).filter(|&a| dst_st[a] == 0).collect();
    let kept_shape: Vec<usize> = kept.iter().map(|&a| k.shape[a]).collect();
    let summed_shape: Vec<usize> = summed.iter().map(|&a| k.shape[a]).collect();
    let reps = numel(&summed_shape)?;
    let mut full_st = vec![0usize; rank];
    let mut s = 1;
    for a in (0..rank).rev() {
        full_st[a] = s;
        s *= k.shape[a];
    }
    let mut body = coords("i", &kept_shape, &kept)?;
    let mut inner = String::new();
    inner.push_str(&coords("q", &summed_shape, &summed)?.replace("\n  ", "\n    "));
    let _ = writeln!(inner, "    let e = {};", lin(&full_st)?);
    let _ = writeln!(inner, "    var g = m[{} + e];", off(l, k.g)?);
    // The chain's links, each in its own scope.
    for (s, link) in k.pre.iter().enumerate() {
        let _ = writeln!(inner, "    {{");
        inner.push_str(&operand_loads(l, &link.operands, &k.shape)?);
        let _ = writeln!(inner, "    g = {};", term(link.rule, &format!("sgp{s}")));
        let _ = writeln!(inner, "    }}");
    }
    inner.push_str(&operand_loads(l, &k.operands, &k.shape)?);
    let d = format!("m[{} + i]", off(l, k.dst)?);
    let start = if k.acc { d.clone() } else { "0.0".into() };
    let _ = write!(
        body,
        "  var s = 0.0; var comp = 0.0;
  for (var q = 0u; q < {reps}; q++) {{
  {inner}    let y = ({t}) - comp; let nx = s + y; comp = (nx - s) - y; s = nx;
  }}
  {d} = {start} + s;
",
        reps = u(reps)?,
        t = term(k.rule, "sg"),
    );
    Ok(vec![per_elem(step, dlen, &helpers, &body)?])
}
