//! The fused elementwise kernel: an [`EwK`] register program rendered as straight-line code,
//! one thread per element, broadcast operands indexed by their strides.

use snnc_plan::{BinOp, EwK, Instr, UnOp};

use super::prelude::ERR_DIV_ZERO;
use super::source::{err, grid1, Kb, Launch, Out, BLOCK};
use crate::CudaError;

/// The element strides of shape `src` broadcast to `dst` (NumPy rules; 0 on repeated axes).
pub(crate) fn bcast_strides(src: &[usize], dst: &[usize]) -> Option<Vec<usize>> {
    if src.len() > dst.len() {
        return None;
    }
    let mut out = vec![0; dst.len()];
    let mut s = 1;
    for i in (0..src.len()).rev() {
        let d = i + dst.len() - src.len();
        if src[i] == dst[d] {
            out[d] = if src[i] == 1 { 0 } else { s };
        } else if src[i] != 1 {
            return None;
        }
        s *= src[i];
    }
    Some(out)
}

/// Code that splits the flat index `e` of `shape` into `i0, i1, …` (row-major).
pub(crate) fn split_index(shape: &[usize], e: &str, prefix: &str) -> String {
    let mut s = format!("            i64 {prefix}rem = {e};\n");
    for d in (0..shape.len()).rev() {
        s.push_str(&format!(
            "            const i64 {prefix}{d} = {prefix}rem % {n}LL; {prefix}rem /= {n}LL;\n",
            n = shape[d].max(1)
        ));
    }
    s
}

/// The offset expression of an operand with `strides` over `shape`, given the split index.
pub(crate) fn offset(strides: &[usize], prefix: &str) -> String {
    let terms: Vec<String> = strides
        .iter()
        .enumerate()
        .filter(|(_, &s)| s != 0)
        .map(|(d, &s)| if s == 1 { format!("{prefix}{d}") } else { format!("{prefix}{d} * {s}LL") })
        .collect();
    if terms.is_empty() {
        "0".into()
    } else {
        terms.join(" + ")
    }
}

fn un(op: UnOp, a: &str) -> String {
    match op {
        UnOp::Neg => format!("-{a}"),
        UnOp::Relu => format!("({a} < 0.0f ? 0.0f : {a})"),
        UnOp::Sigmoid => format!("(float)(1.0 / (1.0 + exp(-(double){a})))"),
        UnOp::Tanh => format!("(float)tanh((double){a})"),
        UnOp::Theta => format!("({a} > 0.0f ? 1.0f : 0.0f)"),
        UnOp::Trunc => format!("snnc_trunc({a})"),
        UnOp::NonZero => format!("({a} != 0.0f ? 1.0f : 0.0f)"),
        UnOp::Not => format!("({a} == 0.0f ? 1.0f : 0.0f)"),
        UnOp::Abs => format!("fabsf({a})"),
        UnOp::Sign => format!("({a} > 0.0f ? 1.0f : ({a} < 0.0f ? -1.0f : {a}))"),
        UnOp::Floor => format!("floorf({a})"),
    }
}

fn bin(op: BinOp, a: &str, b: &str) -> String {
    match op {
        BinOp::Add => format!("{a} + {b}"),
        BinOp::Sub => format!("{a} - {b}"),
        BinOp::Mul => format!("{a} * {b}"),
        BinOp::Div => format!("{a} / {b}"),
        BinOp::DivInt => format!("(float)snnc_trunc64((double){a} / (double){b})"),
        BinOp::Greater => format!("({a} > {b} ? 1.0f : 0.0f)"),
        BinOp::Less => format!("({a} < {b} ? 1.0f : 0.0f)"),
        BinOp::GreaterOrEqual => format!("({a} >= {b} ? 1.0f : 0.0f)"),
        BinOp::LessOrEqual => format!("({a} <= {b} ? 1.0f : 0.0f)"),
        BinOp::Equal => format!("({a} == {b} ? 1.0f : 0.0f)"),
        BinOp::Max => format!("((isnan({a}) || isnan({b})) ? NAN : fmaxf({a}, {b}))"),
        BinOp::Min => format!("((isnan({a}) || isnan({b})) ? NAN : fminf({a}, {b}))"),
    }
}

/// [`EwK`].
pub(crate) fn ew(out: &mut Out<'_>, k: &EwK) -> Result<Vec<Launch>, CudaError> {
    let total: usize = k.shape.iter().product();
    if total == 0 || k.stores.is_empty() {
        return Ok(Vec::new());
    }
    let step = out.step;
    let r = |x: u16| {
        if x < k.regs {
            Ok(format!("r{x}"))
        } else {
            Err(err(step, "elementwise", format!("register {x} out of range (invalid plan)")))
        }
    };
    let mut kb = Kb::new(step, "ew");
    let mut loads = Vec::new();
    for (i, input) in k.inputs.iter().enumerate() {
        kb.read(&format!("in{i}"), input.buf);
        let st = bcast_strides(&input.shape, &k.shape).ok_or_else(|| {
            err(
                step,
                "elementwise",
                format!("{:?} does not broadcast to {:?}", input.shape, k.shape),
            )
        })?;
        let len: usize = input.shape.iter().product();
        loads.push(if input.shape == k.shape {
            "e".to_string()
        } else if len == 1 {
            "0".to_string()
        } else {
            offset(&st, "i")
        });
    }
    for (j, &(_, b)) in k.stores.iter().enumerate() {
        kb.write(&format!("out{j}"), b);
    }
    let needs_err = k.code.iter().any(|c| matches!(c, Instr::Bin { op: BinOp::DivInt, .. }));
    if needs_err {
        kb.err();
    }
    let mut body = String::new();
    for ins in &k.code {
        let line = match *ins {
            Instr::Load { dst, input } => {
                let at = loads.get(input as usize).ok_or_else(|| {
                    err(step, "elementwise", format!("input {input} out of range (invalid plan)"))
                })?;
                format!("{} = in{input}[{at}];", r(dst)?)
            }
            Instr::Un { dst, op, a } => format!("{} = {};", r(dst)?, un(op, &r(a)?)),
            Instr::Bin { dst, op, a, b } => {
                let guard = if op == BinOp::DivInt {
                    format!("if ({} == 0.0f) SNNC_FAIL({ERR_DIV_ZERO}, {step}); ", r(b)?)
                } else {
                    String::new()
                };
                format!("{guard}{} = {};", r(dst)?, bin(op, &r(a)?, &r(b)?))
            }
            Instr::Select { dst, c, a, b } => {
                format!("{} = {} != 0.0f ? {} : {};", r(dst)?, r(c)?, r(a)?, r(b)?)
            }
        };
        body.push_str("        ");
        body.push_str(&line);
        body.push('\n');
    }
    for (j, &(reg, _)) in k.stores.iter().enumerate() {
        body.push_str(&format!("        out{j}[e] = {};\n", r(reg)?));
    }
    let split = if loads.iter().any(|l| l != "e" && l != "0") {
        split_index(&k.shape, "e", "i").replace("            ", "        ")
    } else {
        String::new()
    };
    let regs: Vec<String> = (0..k.regs).map(|x| format!("r{x} = 0.0f")).collect();
    let decl = if regs.is_empty() {
        String::new()
    } else {
        format!("        float {};\n", regs.join(", "))
    };
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         {split}{decl}{body}\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}
