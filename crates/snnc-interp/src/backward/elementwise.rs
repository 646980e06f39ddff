//! Reverse rules of the elementwise ops.

use ndarray::{ArrayD, Zip};
use snnc_ir::{Op, Surrogate};

use crate::broadcast::{reduce_to, view_as};
use crate::forward::elementwise::sigmoid;

/// Add, Sub, Mul, Div: the partial derivatives times `g`, each summed down to its operand's
/// shape. Div: ∂a = g/b, ∂b = −g·a/b².
pub(crate) fn arith_back(
    op: &Op,
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    g: &ArrayD<f64>,
) -> Result<[Option<ArrayD<f64>>; 2], String> {
    let shape = g.shape().to_vec();
    let (av, bv) = (view_as(a, &shape)?, view_as(b, &shape)?);
    let (ga, gb) = match op {
        Op::Add => (g.clone(), g.clone()),
        Op::Sub => (g.clone(), g.mapv(|v| -v)),
        Op::Mul => (
            Zip::from(g).and(&bv).map_collect(|&g, &b| g * b),
            Zip::from(g).and(&av).map_collect(|&g, &a| g * a),
        ),
        Op::Div => (
            Zip::from(g).and(&bv).map_collect(|&g, &b| g / b),
            Zip::from(g).and(&av).and(&bv).map_collect(|&g, &a, &b| -g * a / (b * b)),
        ),
        other => return Err(format!("{} is not arithmetic (internal error)", other.name())),
    };
    Ok([Some(reduce_to(ga, a.shape())?), Some(reduce_to(gb, b.shape())?)])
}

/// Greater/Less as a spike: `Greater(a, b)` is Θ(a − b), so ∂a = g·σ'(a − b), ∂b = −g·σ'(a − b);
/// `Less(a, b)` is Θ(b − a), so ∂a = −g·σ'(b − a), ∂b = g·σ'(b − a). σ' is the surrogate the
/// caller chose ([`GradOptions`](crate::GradOptions)).
pub(crate) fn compare_back(
    greater: bool,
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    g: &ArrayD<f64>,
    sg: &Surrogate,
) -> Result<[Option<ArrayD<f64>>; 2], String> {
    let shape = g.shape().to_vec();
    let (av, bv) = (view_as(a, &shape)?, view_as(b, &shape)?);
    let sign = if greater { 1.0 } else { -1.0 };
    let d = Zip::from(g)
        .and(&av)
        .and(&bv)
        .map_collect(|&g, &a, &b| sign * g * sg.derivative(sign * (a - b)));
    let ga = reduce_to(d.clone(), a.shape())?;
    let gb = reduce_to(d.mapv_into(|v| -v), b.shape())?;
    Ok([Some(ga), Some(gb)])
}

/// Where(c, x, y): the gradient goes to x where c holds and to y elsewhere; c gets none.
pub(crate) fn where_back(
    c: &ArrayD<f64>,
    x: &ArrayD<f64>,
    y: &ArrayD<f64>,
    g: &ArrayD<f64>,
) -> Result<[Option<ArrayD<f64>>; 3], String> {
    let cv = view_as(c, g.shape())?;
    let gx = Zip::from(g).and(&cv).map_collect(|&g, &c| if c != 0.0 { g } else { 0.0 });
    let gy = Zip::from(g).and(&cv).map_collect(|&g, &c| if c != 0.0 { 0.0 } else { g });
    Ok([None, Some(reduce_to(gx, x.shape())?), Some(reduce_to(gy, y.shape())?)])
}

/// The single-input elementwise ops, from their input `x`: Neg −g; Identity g; Relu g·[x > 0];
/// Sigmoid g·σ(x)(1 − σ(x)); Tanh g·(1 − tanh²x); Spike g·σ'(x) with its own surrogate.
pub(crate) fn unary_back(op: &Op, x: &ArrayD<f64>, g: &ArrayD<f64>) -> Result<ArrayD<f64>, String> {
    let f: Box<dyn Fn(f64, f64) -> f64> = match op {
        Op::Neg => Box::new(|_, g| -g),
        Op::Identity => Box::new(|_, g| g),
        Op::Relu => Box::new(|x, g| if x > 0.0 { g } else { 0.0 }),
        Op::Sigmoid => Box::new(|x, g| {
            let s = sigmoid(x);
            g * s * (1.0 - s)
        }),
        Op::Tanh => Box::new(|x, g| {
            let t = x.tanh();
            g * (1.0 - t * t)
        }),
        Op::Spike { surrogate } => {
            let sg = *surrogate;
            Box::new(move |x, g| g * sg.derivative(x))
        }
        other => return Err(format!("{} is not a unary op (internal error)", other.name())),
    };
    if x.shape() != g.shape() {
        return Err(format!(
            "gradient {:?} does not fit {:?} (internal error)",
            g.shape(),
            x.shape()
        ));
    }
    Ok(Zip::from(x).and(g).map_collect(|&x, &g| f(x, g)))
}
