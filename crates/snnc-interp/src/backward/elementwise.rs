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

/// Max/Min: the gradient goes to the operand that was taken; where both are equal it is split
/// in halves (as `torch.maximum`/`torch.minimum` do).
pub(crate) fn extremum_back(
    max: bool,
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    g: &ArrayD<f64>,
) -> Result<[Option<ArrayD<f64>>; 2], String> {
    let shape = g.shape().to_vec();
    let (av, bv) = (view_as(a, &shape)?, view_as(b, &shape)?);
    let share = move |x: f64, y: f64| -> f64 {
        let wins = if max { x > y } else { x < y };
        if wins {
            1.0
        } else if x == y {
            0.5
        } else {
            0.0
        }
    };
    let ga = Zip::from(g).and(&av).and(&bv).map_collect(|&g, &a, &b| g * share(a, b));
    let gb = Zip::from(g).and(&av).and(&bv).map_collect(|&g, &a, &b| g * share(b, a));
    Ok([Some(reduce_to(ga, a.shape())?), Some(reduce_to(gb, b.shape())?)])
}

/// Clip(x, lo, hi): x gets the gradient where lo ≤ x ≤ hi (as `torch.clamp`), a bound where it
/// was taken instead (lo where x < lo, hi where x > hi and lo ≤ hi).
pub(crate) fn clip_back(
    x: &ArrayD<f64>,
    lo: Option<&ArrayD<f64>>,
    hi: Option<&ArrayD<f64>>,
    g: &ArrayD<f64>,
) -> Result<Vec<Option<ArrayD<f64>>>, String> {
    let shape = g.shape().to_vec();
    let xv = view_as(x, &shape)?;
    let inf = ArrayD::from_elem(ndarray::IxDyn(&[]), f64::INFINITY);
    let neg = ArrayD::from_elem(ndarray::IxDyn(&[]), f64::NEG_INFINITY);
    let (lv, hv) = (view_as(lo.unwrap_or(&neg), &shape)?, view_as(hi.unwrap_or(&inf), &shape)?);
    // Which operand each element was taken from: 0 = x, 1 = lo, 2 = hi.
    let from = Zip::from(&xv).and(&lv).and(&hv).map_collect(|&x, &l, &h| {
        if x < l {
            1u8
        } else if x > h {
            2
        } else {
            0
        }
    });
    let part = |k: u8| Zip::from(g).and(&from).map_collect(|&g, &f| if f == k { g } else { 0.0 });
    let (gx, gl, gh) = (part(0), part(1), part(2));
    let bound = |b: Option<&ArrayD<f64>>, gb: ArrayD<f64>| match b {
        Some(b) => reduce_to(gb, b.shape()).map(Some),
        None => Ok(None),
    };
    Ok(vec![Some(gx), bound(lo, gl)?, bound(hi, gh)?])
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
/// Sigmoid g·σ(x)(1 − σ(x)); Tanh g·(1 − tanh²x); Spike g·σ'(x) with its own surrogate;
/// Abs g·sign(x) (0 at 0); Sign and Floor 0 (they are piecewise constant).
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
        Op::Abs => Box::new(|x, g| {
            if x > 0.0 {
                g
            } else if x < 0.0 {
                -g
            } else {
                0.0
            }
        }),
        Op::Sign | Op::Floor => Box::new(|_, _| 0.0),
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
