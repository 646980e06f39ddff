//! The gradient of one operand of an elementwise op ([`EwGradK`]): the term of its rule in f64
//! at every element, summed down to the operand's shape. A reduced gradient is one thread per
//! operand element summing its elements in row-major order, the CPU engine's order.

use snnc_plan::{EwGradK, EwInput, GradRule};

use super::ew::{bcast_strides, offset, split_index};
use super::prelude::surrogate_f64;
use super::source::{err, grid1, lit64, Kb, Launch, Out, BLOCK};
use crate::CudaError;

/// The f64 term of `rule` from `g`, `o0`, `o1` (`sg` names the surrogate function).
fn term(rule: GradRule, sg: &str) -> String {
    match rule {
        GradRule::Scale(c) => format!("{} * g", lit64(c)),
        GradRule::Mul => "g * o0".into(),
        GradRule::DivNum => "g / o0".into(),
        GradRule::DivDen => "-g * o0 / (o1 * o1)".into(),
        GradRule::Compare { greater, wrt_b, .. } => {
            let d =
                if greater { format!("g * {sg}(o0 - o1)") } else { format!("-g * {sg}(o1 - o0)") };
            if wrt_b {
                format!("-({d})")
            } else {
                d
            }
        }
        GradRule::Relu => "(o0 > 0.0 ? g : 0.0)".into(),
        GradRule::Sigmoid => "g * (1.0 / (1.0 + exp(-o0))) * (1.0 - 1.0 / (1.0 + exp(-o0)))".into(),
        GradRule::Tanh => "g * (1.0 - tanh(o0) * tanh(o0))".into(),
        GradRule::Spike(_) => format!("g * {sg}(o0)"),
        GradRule::WhereTrue => "(o0 != 0.0 ? g : 0.0)".into(),
        GradRule::WhereFalse => "(o0 != 0.0 ? 0.0 : g)".into(),
        GradRule::Abs => "(o0 > 0.0 ? g : (o0 < 0.0 ? -g : 0.0))".into(),
        GradRule::Extremum { max, wrt_b } => {
            let (a, b) = if wrt_b { ("o1", "o0") } else { ("o0", "o1") };
            let cmp = if max { ">" } else { "<" };
            format!("({a} {cmp} {b} ? g : ({a} == {b} ? 0.5 * g : 0.0))")
        }
        GradRule::Clip { part, lo, hi } => {
            let l = if lo { "o1" } else { "(-INFINITY)" };
            let h = match (lo, hi) {
                (_, false) => "INFINITY",
                (true, true) => "o2",
                (false, true) => "o1",
            };
            let from = format!("(o0 < {l} ? 1 : (o0 > {h} ? 2 : 0))");
            format!("({from} == {part} ? g : 0.0)")
        }
    }
}

/// [`EwGradK`].
pub(crate) fn ew_grad(out: &mut Out<'_>, k: &EwGradK) -> Result<Vec<Launch>, CudaError> {
    let step = out.step;
    let total: usize = k.shape.iter().product();
    let dst_len: usize = k.dst_shape.iter().product();
    if dst_len == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(step, "ew_grad");
    kb.read("gup", k.g);
    let loads = operand_loads(&mut kb, step, "op", &k.operands, &k.shape)?;
    let sg = format!("snnc_s{step:04}_sg64");
    surrogate_of(out, &sg, k.rule);
    // The chain's links, each in its own scope, rounded to f32 as an unfused chain stores them.
    let mut chain = String::from("            double g = (double)gup[e];\n");
    for (s, link) in k.pre.iter().enumerate() {
        let lsg = format!("snnc_s{step:04}_p{s}_sg64");
        surrogate_of(out, &lsg, link.rule);
        let lloads = operand_loads(&mut kb, step, &format!("p{s}op"), &link.operands, &k.shape)?;
        let lt = term(link.rule, &lsg);
        chain.push_str(&format!(
            "            {{\n{lloads}            g = (double)(float)({lt});\n            }}\n"
        ));
    }
    kb.write("dst", k.dst);
    let t = term(k.rule, &sg);
    let update = if k.acc { "dst[d] + (float)sum" } else { "(float)sum" };
    let code = if k.dst_shape == k.shape {
        format!(
            "{sig} {{\n\
             \x20   SNNC_FOR(d, {total}LL) {{\n\
             \x20       const i64 e = d;\n\
             \x20       double sum;\n\
             \x20       {{\n\
             {split}{loads}{chain}\
             \x20           sum = {t};\n\
             \x20       }}\n\
             \x20       dst[d] = {update};\n\
             \x20   }}\n\
             }}",
            sig = kb.signature(BLOCK),
            split = split_index(&k.shape, "e", "i"),
        )
    } else {
        let dst_st = bcast_strides(&k.dst_shape, &k.shape).ok_or_else(|| {
            err(step, "elementwise-grad", "the operand does not broadcast (invalid plan)")
        })?;
        // Axes of the op's shape the operand spans (kept) and those summed over (reduced).
        let reduced: Vec<usize> = (0..k.shape.len()).filter(|&d| dst_st[d] == 0).collect();
        let count: usize = reduced.iter().map(|&d| k.shape[d]).product();
        let mut idx = String::new();
        // Kept axes from the operand's flat index d (its strides over the op's shape).
        let mut rem_shape: Vec<(usize, usize)> =
            (0..k.shape.len()).filter(|&d| dst_st[d] != 0).map(|d| (d, k.shape[d])).collect();
        rem_shape.reverse();
        idx.push_str("            i64 krem = d;\n");
        for (d, n) in &rem_shape {
            idx.push_str(&format!("            const i64 i{d} = krem % {n}LL; krem /= {n}LL;\n"));
        }
        idx.push_str("            i64 rrem = q;\n");
        for &d in reduced.iter().rev() {
            let n = k.shape[d];
            idx.push_str(&format!("            const i64 i{d} = rrem % {n}LL; rrem /= {n}LL;\n"));
        }
        let full: Vec<usize> = {
            let mut s = vec![0; k.shape.len()];
            let mut acc = 1;
            for d in (0..k.shape.len()).rev() {
                s[d] = acc;
                acc *= k.shape[d];
            }
            s
        };
        let e = offset(&full, "i");
        format!(
            "{sig} {{\n\
             \x20   SNNC_FOR(d, {dst_len}LL) {{\n\
             \x20       double sum = 0.0;\n\
             \x20       for (i64 q = 0; q < {count}LL; ++q) {{\n\
             {idx}\
             \x20           const i64 e = {e};\n\
             {loads}{chain}\
             \x20           sum += {t};\n\
             \x20       }}\n\
             \x20       dst[d] = {update};\n\
             \x20   }}\n\
             }}",
            sig = kb.signature(BLOCK),
        )
    };
    out.push(&code);
    Ok(vec![kb.launch(
        grid1(if k.dst_shape == k.shape { total } else { dst_len }),
        [BLOCK, 1, 1],
        0,
    )])
}

/// Emits the f64 surrogate function `name` when `rule` needs one.
fn surrogate_of(out: &mut Out<'_>, name: &str, rule: GradRule) {
    if let GradRule::Compare { surrogate, .. } | GradRule::Spike(surrogate) = rule {
        out.code.push_str(&surrogate_f64(name, surrogate));
    }
}

/// Declares `operands` as reads named `{prefix}{i}` and returns the lines that load them as
/// `o0, o1, o2` (0 when absent) at element `e` (index `i0…` for a broadcast operand).
fn operand_loads(
    kb: &mut Kb,
    step: usize,
    prefix: &str,
    operands: &[EwInput],
    shape: &[usize],
) -> Result<String, CudaError> {
    if operands.len() > 3 {
        return Err(err(step, "elementwise-grad", "too many operands (invalid plan)"));
    }
    let mut loads = String::new();
    for i in 0..3 {
        let Some(o) = operands.get(i) else {
            loads.push_str(&format!("            const double o{i} = 0.0;\n"));
            continue;
        };
        let name = format!("{prefix}{i}");
        kb.read(&name, o.buf);
        let st = bcast_strides(&o.shape, shape).ok_or_else(|| {
            err(
                step,
                "elementwise-grad",
                format!("{:?} does not broadcast (invalid plan)", o.shape),
            )
        })?;
        let at = if o.shape == shape { "e".to_string() } else { offset(&st, "i") };
        loads.push_str(&format!("            const double o{i} = (double){name}[{at}];\n"));
    }
    Ok(loads)
}
