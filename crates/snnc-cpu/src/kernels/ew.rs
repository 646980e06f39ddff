//! The fused elementwise kernel: a register program run over blocks of elements, in parallel
//! over blocks (each element is computed independently, so results do not depend on threads).

use rayon::prelude::*;
use snnc_plan::{BinOp, EwK, Instr, UnOp};

use crate::kernels::bcast::Operand;
use crate::kernels::{need, numel};
use crate::store::Io;

/// Elements per block.
const BLK: usize = 1024;

/// The most registers a program may use.
const MAX_REGS: usize = 4096;

#[inline]
fn un(op: UnOp, x: f32) -> f32 {
    match op {
        UnOp::Neg => -x,
        UnOp::Relu => {
            if x < 0.0 {
                0.0
            } else {
                x
            }
        }
        UnOp::Sigmoid => (1.0 / (1.0 + (-f64::from(x)).exp())) as f32,
        UnOp::Tanh => f64::from(x).tanh() as f32,
        UnOp::Theta => f32::from(u8::from(x > 0.0)),
        UnOp::Trunc => x as i64 as f32,
        UnOp::NonZero => f32::from(u8::from(x != 0.0)),
        UnOp::Not => f32::from(u8::from(x == 0.0)),
        UnOp::Abs => x.abs(),
        UnOp::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                x
            }
        }
        UnOp::Floor => x.floor(),
    }
}

#[inline]
fn bin(op: BinOp, a: f32, b: f32) -> f32 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::DivInt => (f64::from(a) / f64::from(b)) as i64 as f32,
        BinOp::Greater => f32::from(u8::from(a > b)),
        BinOp::Less => f32::from(u8::from(a < b)),
        BinOp::GreaterOrEqual => f32::from(u8::from(a >= b)),
        BinOp::LessOrEqual => f32::from(u8::from(a <= b)),
        BinOp::Equal => f32::from(u8::from(a == b)),
        BinOp::Max if a.is_nan() || b.is_nan() => f32::NAN,
        BinOp::Max => a.max(b),
        BinOp::Min if a.is_nan() || b.is_nan() => f32::NAN,
        BinOp::Min => a.min(b),
    }
}

/// `d[j] = f(a[j])`, one loop per op so that it vectorizes.
#[inline(always)]
fn map1(d: &mut [f32], a: &[f32], f: impl Fn(f32) -> f32) {
    for (o, &x) in d.iter_mut().zip(a) {
        *o = f(x);
    }
}

/// `d[j] = f(a[j], b[j])`, one loop per op.
#[inline(always)]
fn map2(d: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) {
    for ((o, &x), &y) in d.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}

/// [`un`] over a block, dispatched once per block rather than per element.
fn un_block(op: UnOp, d: &mut [f32], a: &[f32]) {
    macro_rules! each {
        ($($v:ident),*) => {
            match op {
                $(UnOp::$v => map1(d, a, |x| un(UnOp::$v, x)),)*
            }
        };
    }
    each!(Neg, Relu, Sigmoid, Tanh, Theta, Trunc, NonZero, Not, Abs, Sign, Floor)
}

/// [`bin`] over a block, dispatched once per block.
fn bin_block(op: BinOp, d: &mut [f32], a: &[f32], b: &[f32]) {
    macro_rules! each {
        ($($v:ident),*) => {
            match op {
                $(BinOp::$v => map2(d, a, b, |x, y| bin(BinOp::$v, x, y)),)*
            }
        };
    }
    each!(Add, Sub, Mul, Div, DivInt, Greater, Less, GreaterOrEqual, LessOrEqual, Equal, Max, Min)
}

/// Checks the program: registers and inputs in range, every destination distinct from its
/// operands.
fn check(k: &EwK) -> Result<(), String> {
    if k.regs as usize > MAX_REGS {
        return Err("elementwise program has too many registers (invalid plan)".into());
    }
    let r = |x: u16| (x as usize) < k.regs as usize;
    for ins in &k.code {
        let ok = match *ins {
            Instr::Load { dst, input } => r(dst) && (input as usize) < k.inputs.len(),
            Instr::Un { dst, a, .. } => r(dst) && r(a) && dst != a,
            Instr::Bin { dst, a, b, .. } => r(dst) && r(a) && r(b) && dst != a && dst != b,
            Instr::Select { dst, c, a, b } => {
                r(dst) && r(c) && r(a) && r(b) && dst != a && dst != b && dst != c
            }
        };
        if !ok {
            return Err("malformed elementwise program (invalid plan)".into());
        }
    }
    if k.stores.iter().any(|&(s, _)| !r(s)) {
        return Err("malformed elementwise program (invalid plan)".into());
    }
    Ok(())
}

/// Runs the program for elements `e0..e0 + len` into `outs` (one block per store).
fn block(
    k: &EwK,
    ins: &[Operand],
    regs: &mut [Vec<f32>],
    e0: usize,
    outs: Vec<&mut [f32]>,
) -> Result<(), String> {
    let len = outs.first().map_or(0, |o| o.len());
    for ins_ in &k.code {
        match *ins_ {
            Instr::Load { dst, input } => {
                ins[input as usize].load(&k.shape, e0, &mut regs[dst as usize][..len])
            }
            Instr::Un { dst, op, a } => {
                let mut d = std::mem::take(&mut regs[dst as usize]);
                un_block(op, &mut d[..len], &regs[a as usize][..len]);
                regs[dst as usize] = d;
            }
            Instr::Bin { dst, op, a, b } => {
                if op == BinOp::DivInt && regs[b as usize][..len].contains(&0.0) {
                    return Err("integer division by zero".into());
                }
                let mut d = std::mem::take(&mut regs[dst as usize]);
                bin_block(op, &mut d[..len], &regs[a as usize][..len], &regs[b as usize][..len]);
                regs[dst as usize] = d;
            }
            Instr::Select { dst, c, a, b } => {
                let mut d = std::mem::take(&mut regs[dst as usize]);
                let (rc, ra, rb) = (&regs[c as usize], &regs[a as usize], &regs[b as usize]);
                for j in 0..len {
                    d[j] = if rc[j] != 0.0 { ra[j] } else { rb[j] };
                }
                regs[dst as usize] = d;
            }
        }
    }
    for (o, &(r, _)) in outs.into_iter().zip(&k.stores) {
        o.copy_from_slice(&regs[r as usize][..len]);
    }
    Ok(())
}

/// Runs a fused elementwise kernel.
pub(crate) fn run(k: &EwK, io: &mut Io) -> Result<(), String> {
    check(k)?;
    let total = numel(&k.shape)?;
    let ins = k
        .inputs
        .iter()
        .map(|i| Operand::new(io.r(i.buf)?, &i.shape, &k.shape))
        .collect::<Result<Vec<_>, String>>()?;
    let mut outs = Vec::with_capacity(k.stores.len());
    for &(_, b) in &k.stores {
        let o = io.w(b)?;
        need("elementwise output", o.len(), total)?;
        outs.push(o);
    }
    let blocks = total.div_ceil(BLK);
    let mut per: Vec<Vec<&mut [f32]>> =
        (0..blocks).map(|_| Vec::with_capacity(outs.len())).collect();
    for o in outs {
        for (i, piece) in o.chunks_mut(BLK).enumerate() {
            per[i].push(piece);
        }
    }
    let regs = || vec![vec![0f32; BLK]; k.regs as usize];
    if blocks <= 4 {
        let mut r = regs();
        return per
            .into_iter()
            .enumerate()
            .try_for_each(|(i, o)| block(k, &ins, &mut r, i * BLK, o));
    }
    per.into_par_iter()
        .enumerate()
        .try_for_each_init(regs, |r, (i, o)| block(k, &ins, r, i * BLK, o))
}
