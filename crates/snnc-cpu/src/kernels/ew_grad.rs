//! The gradient of one operand of an elementwise op: a term per element of the op's output
//! (computed in f64 like the reference), summed down to the operand's shape.

use rayon::prelude::*;
use snnc_plan::{EwGradK, EwInput, GradRule};

use crate::kernels::bcast::{strides, Operand, Walk};
use crate::kernels::{need, numel};
use crate::store::Io;

/// Elements per block.
const BLK: usize = 1024;

#[inline(always)]
fn term(rule: GradRule, g: f64, o: &[f64; 3]) -> f64 {
    match rule {
        GradRule::Scale(c) => f64::from(c) * g,
        GradRule::Mul => g * o[0],
        GradRule::DivNum => g / o[0],
        GradRule::DivDen => -g * o[0] / (o[1] * o[1]),
        GradRule::Compare { greater, wrt_b, surrogate } => {
            let d = if greater {
                g * surrogate.derivative(o[0] - o[1])
            } else {
                -g * surrogate.derivative(o[1] - o[0])
            };
            if wrt_b {
                -d
            } else {
                d
            }
        }
        GradRule::Relu => {
            if o[0] > 0.0 {
                g
            } else {
                0.0
            }
        }
        GradRule::Sigmoid => {
            let s = 1.0 / (1.0 + (-o[0]).exp());
            g * s * (1.0 - s)
        }
        GradRule::Tanh => {
            let t = o[0].tanh();
            g * (1.0 - t * t)
        }
        GradRule::Spike(s) => g * s.derivative(o[0]),
        GradRule::WhereTrue => {
            if o[0] != 0.0 {
                g
            } else {
                0.0
            }
        }
        GradRule::WhereFalse => {
            if o[0] != 0.0 {
                0.0
            } else {
                g
            }
        }
        GradRule::Abs => {
            if o[0] > 0.0 {
                g
            } else if o[0] < 0.0 {
                -g
            } else {
                0.0
            }
        }
        GradRule::Extremum { max, wrt_b } => {
            let (a, b) = if wrt_b { (o[1], o[0]) } else { (o[0], o[1]) };
            if (max && a > b) || (!max && a < b) {
                g
            } else if a == b {
                0.5 * g
            } else {
                0.0
            }
        }
        GradRule::Clip { part, lo, hi } => {
            let l = if lo { o[1] } else { f64::NEG_INFINITY };
            let h = if hi { o[1 + usize::from(lo)] } else { f64::INFINITY };
            let from = if o[0] < l {
                1
            } else if o[0] > h {
                2
            } else {
                0
            };
            if from == part {
                g
            } else {
                0.0
            }
        }
    }
}

/// `out[j] = f(g[j], operands at j)`, one loop per rule so that the rule is decided once per
/// block.
#[inline(always)]
fn fill(out: &mut [f64], g: &[f32], buf: &[[f32; BLK]; 3], f: impl Fn(f64, &[f64; 3]) -> f64) {
    for (j, t) in out.iter_mut().enumerate() {
        let o = [f64::from(buf[0][j]), f64::from(buf[1][j]), f64::from(buf[2][j])];
        *t = f(f64::from(g[j]), &o);
    }
}

/// The forward operands of the kernel's rule and of each link of its chain.
struct Ops<'a> {
    main: Vec<Operand<'a>>,
    pre: Vec<Vec<Operand<'a>>>,
}

/// `out[j]` = the term of `rule` from `g[j]` and `ops` at element `e0 + j`.
fn rule_terms(
    rule: GradRule,
    shape: &[usize],
    (g, ops): (&[f32], &[Operand]),
    e0: usize,
    buf: &mut [[f32; BLK]; 3],
    out: &mut [f64],
) {
    let len = out.len();
    for (b, op) in buf.iter_mut().zip(ops) {
        op.load(shape, e0, &mut b[..len]);
    }
    macro_rules! each {
        ($($p:pat),*) => {
            match rule {
                $(r @ $p => fill(out, g, buf, |g, o| term(r, g, o)),)*
            }
        };
    }
    each!(
        GradRule::Scale(_),
        GradRule::Mul,
        GradRule::DivNum,
        GradRule::DivDen,
        GradRule::Compare { .. },
        GradRule::Relu,
        GradRule::Sigmoid,
        GradRule::Tanh,
        GradRule::Spike(_),
        GradRule::Abs,
        GradRule::Extremum { .. },
        GradRule::Clip { .. },
        GradRule::WhereTrue,
        GradRule::WhereFalse
    )
}

/// The terms of elements `e0..e0 + out.len()`: the chain's links first, each rounded to f32 as
/// an unfused chain stores it, then the kernel's rule.
fn terms(k: &EwGradK, g: &[f32], ops: &Ops, e0: usize, out: &mut [f64]) {
    let len = out.len();
    let g = &g[e0..e0 + len];
    // One scratch for every link: a slot a rule does not load keeps 0 or an earlier link's
    // operand, and `term` never reads a slot its rule does not load.
    let mut buf = [[0f32; BLK]; 3];
    if k.pre.is_empty() {
        return rule_terms(k.rule, &k.shape, (g, &ops.main), e0, &mut buf, out);
    }
    let mut cur = [0f32; BLK];
    cur[..len].copy_from_slice(g);
    for (link, lops) in k.pre.iter().zip(&ops.pre) {
        rule_terms(link.rule, &k.shape, (&cur[..len], lops), e0, &mut buf, out);
        for (c, &t) in cur.iter_mut().zip(out.iter()) {
            *c = t as f32;
        }
    }
    rule_terms(k.rule, &k.shape, (&cur[..len], &ops.main), e0, &mut buf, out);
}

/// The sum of every term, for a gradient of one element (a scalar weight broadcast over the
/// whole operation): per block in parallel, then the blocks' sums in order, so the result does
/// not depend on the thread count.
fn scalar_sum(k: &EwGradK, g: &[f32], ops: &Ops, total: usize) -> f64 {
    let blocks: Vec<f64> = (0..total.div_ceil(BLK))
        .into_par_iter()
        .map(|b| {
            let e0 = b * BLK;
            let mut t = [0f64; BLK];
            let t = &mut t[..BLK.min(total - e0)];
            terms(k, g, ops, e0, t);
            t.iter().sum::<f64>()
        })
        .collect();
    blocks.iter().sum()
}

/// Runs the kernel.
pub(crate) fn run(k: &EwGradK, io: &mut Io) -> Result<(), String> {
    let total = numel(&k.shape)?;
    let g = io.r(k.g)?;
    need("upstream gradient", g.len(), total)?;
    let operands = |list: &[EwInput]| {
        if list.len() > 3 {
            return Err("too many operands (invalid plan)".to_string());
        }
        list.iter()
            .map(|i| Operand::new(io.r(i.buf)?, &i.shape, &k.shape))
            .collect::<Result<Vec<_>, String>>()
    };
    let ops = Ops {
        main: operands(&k.operands)?,
        pre: k.pre.iter().map(|s| operands(&s.operands)).collect::<Result<_, _>>()?,
    };
    let dst = io.w(k.dst)?;
    need("gradient", dst.len(), numel(&k.dst_shape)?)?;
    if k.dst_shape == k.shape {
        let f = |(i, d): (usize, &mut [f32])| {
            let mut t = [0f64; BLK];
            terms(k, g, &ops, i * BLK, &mut t[..d.len()]);
            for (d, &t) in d.iter_mut().zip(&t) {
                *d = if k.acc { *d + t as f32 } else { t as f32 };
            }
        };
        dst.par_chunks_mut(BLK).enumerate().for_each(f);
        return Ok(());
    }
    if dst.len() == 1 {
        let s = scalar_sum(k, g, &ops, total);
        dst[0] = if k.acc { dst[0] + s as f32 } else { s as f32 };
        return Ok(());
    }
    let st = strides(&k.dst_shape, &k.shape)?;
    let mut sum = vec![0f64; dst.len()];
    let mut t = [0f64; BLK];
    let mut w = Walk::at(&k.shape, &st, 0);
    for e0 in (0..total).step_by(BLK) {
        let len = BLK.min(total - e0);
        terms(k, g, &ops, e0, &mut t[..len]);
        for &v in &t[..len] {
            sum[w.off()] += v;
            w.next();
        }
    }
    for (d, s) in dst.iter_mut().zip(sum) {
        *d = if k.acc { *d + s as f32 } else { s as f32 };
    }
    Ok(())
}
