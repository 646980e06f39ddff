//! How the window ops pass on masks of undecided elements: an output element is undecided
//! when its window reaches an undecided element of X that meets a non-zero (or undecided)
//! weight, an undecided weight that meets a non-zero (or undecided) element of X, or its
//! undecided bias.

use ndarray::ArrayD;
use snnc_ir::{Op, PoolKind, PoolSpec};

use super::Mask;
use crate::value::Arg;
use crate::window;

fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

fn reaches(data: &ArrayD<f64>, mask: Option<&ArrayD<f64>>) -> ArrayD<f64> {
    match mask {
        None => data.mapv(|x| flag(x != 0.0)),
        Some(m) => ndarray::Zip::from(data).and(m).map_collect(|&x, &m| flag(x != 0.0 || m != 0.0)),
    }
}

/// The mask of a Conv's or a pool's output (`shape`), from its inputs `args` and their masks.
pub(crate) fn mask(
    op: &Op,
    args: &[Option<Arg>],
    ins: &[Option<&ArrayD<f64>>],
    shape: &[usize],
) -> Result<Mask, String> {
    let m = |i: usize| ins.get(i).copied().flatten();
    if ins.iter().all(Option::is_none) {
        return Ok(None);
    }
    let data = |i: usize| {
        args.get(i).copied().flatten().map(|a| a.data).ok_or(format!("input {i} is missing"))
    };
    let y = match op {
        Op::Conv(spec) => {
            let (x, w) = (data(0)?, data(1)?);
            let mut y = ArrayD::<f64>::zeros(shape);
            if let Some(mx) = m(0) {
                y = y + window::conv::forward(spec, mx, &reaches(w, m(1)), None, shape)?;
            }
            if let Some(mw) = m(1) {
                y = y + window::conv::forward(spec, &reaches(x, m(0)), mw, None, shape)?;
            }
            let zero = ArrayD::<f64>::zeros(data(1)?.shape());
            if let Some(mb) = m(2) {
                y = y + window::conv::forward(
                    spec,
                    &ArrayD::zeros(x.shape()),
                    &zero,
                    Some(mb),
                    shape,
                )?;
            }
            y
        }
        Op::Pool(p) => {
            let sum = PoolSpec { kind: PoolKind::Sum, ..p.clone() };
            window::pool::forward(&sum, m(0).ok_or("no mask")?, shape)?
        }
        other => return Err(format!("{} is not a window op", other.name())),
    };
    Ok(y.iter().any(|&v| v > 0.0).then(|| y.mapv(|v| flag(v > 0.0))))
}
