//! The masks of an `snn` op: a neuron's undecided steps and everything they reach in time.
//!
//! Per step t, neuron n, batch row b (all masks as 0/1):
//!
//! * the current I_t is undecided where x_t is (feed-forward) or, for recurrent layers, where
//!   an undecided element of x_t or z_{t−1} meets a non-zero weight (or an undecided one);
//! * fire then integrate: z_t = v_{t−1}'s mask ∪ own, v_t = z_t's ∪ I_t's (z_t does not see
//!   I_t);
//! * integrate then fire: v̂ = v_{t−1}'s ∪ I_t's, and z_t = v_t = v̂'s ∪ own,
//!
//! where "own" is the step's decision being within the tolerance ([`Cell::undecided`]). A
//! neuron once undecided stays so for all later steps: its potential carries the flip on.

use ndarray::{s, Array2, Array3, ArrayD, ArrayView2, Axis, Zip};
use snnc_ir::{IafParams, Op, Order};

use super::Mask;
use crate::iaf::cell::Cell;
use crate::iaf::ops::layer;
use crate::iaf::sim::{simulate, Source};
use crate::value::Arg;

fn or(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    Zip::from(a).and(b).map_collect(|&x, &y| x.max(y))
}

/// [B, H]: where an undecided element of `m` [B, K] (values `x`) reaches a row of `w` [H, K]
/// (mask `mw`) through a non-zero factor.
fn spread(
    m: ArrayView2<f64>,
    x: ArrayView2<f64>,
    w: ArrayView2<f64>,
    mw: ArrayView2<f64>,
) -> Array2<f64> {
    let (b, h) = (x.nrows(), w.nrows());
    let mut y = Array2::zeros((b, h));
    if m.iter().any(|&v| v != 0.0) {
        let nz =
            Zip::from(w).and(mw).map_collect(|&w, &m| f64::from(u8::from(w != 0.0 || m != 0.0)));
        y = y + m.dot(&nz.t());
    }
    if mw.iter().any(|&v| v != 0.0) {
        let nz =
            Zip::from(x).and(m).map_collect(|&x, &m| f64::from(u8::from(x != 0.0 || m != 0.0)));
        y = y + nz.dot(&mw.t());
    }
    y.mapv_into(|v| f64::from(u8::from(v > 0.0)))
}

/// The mask of step t's current.
fn current(src: &Source, ms: &Source, t: usize, z: &Array2<f64>, mz: &Array2<f64>) -> Array2<f64> {
    let mx = ms.x.slice(s![t, .., ..]);
    match (src.weights, ms.weights) {
        (Some((w, r)), Some((mw, mr))) => {
            let x = src.x.slice(s![t, .., ..]);
            or(&spread(mx, x, w, mw), &spread(mz.view(), z.view(), r, mr))
        }
        _ => mx.to_owned(),
    }
}

/// The masks of every output slot of an `snn` op with inputs `args` and their masks `ins`,
/// and how many neuron steps decided within the tolerance.
pub(crate) fn masks(
    op: &Op,
    p: &IafParams,
    args: &[Option<Arg>],
    ins: &[Option<&ArrayD<f64>>],
) -> Result<(Vec<Mask>, usize), String> {
    let (cell, src) = layer(op, p, args)?;
    let tr = simulate(&cell, &src);
    let owned: Vec<Option<ArrayD<f64>>> = args
        .iter()
        .zip(ins.iter().chain(std::iter::repeat(&None)))
        .map(|(a, m)| a.map(|a| m.map_or_else(|| ArrayD::zeros(a.data.raw_dim()), |m| m.clone())))
        .collect();
    let margs = super::mask_args(&owned, args);
    let (_, ms) = layer(op, p, &margs)?;
    let (t_len, b, h) = src.dims();
    let mut mv = ms.v0.map_or_else(|| Array2::zeros((b, h)), |m| m.to_owned());
    let mut mz = ms.z0.map_or_else(|| Array2::zeros((b, h)), |m| m.to_owned());
    let mut mu = ms.u0.map_or_else(|| Array2::zeros((b, h)), |m| m.to_owned());
    let current_state = p.leak.has_current();
    let li = p.family.is_integrator();
    let mut zs = Array3::zeros((t_len, b, h));
    let mut count = 0;
    for t in 0..t_len {
        let mut cur = current(&src, &ms, t, &tr.z[t], &mz);
        if current_state {
            // u_t = α·u_{t−1} + I_t: an undecided current stays in u.
            cur = or(&cur, &mu);
            mu = cur.clone();
        }
        let own = own(&cell, &tr.v[t], &tr.steps[t]);
        count += own.iter().filter(|&&x| x != 0.0).count();
        let (z, v) = match cell.order {
            Order::FireThenIntegrate => {
                let z = or(&mv, &own);
                let v = or(&z, &cur);
                (z, v)
            }
            Order::IntegrateThenFire => {
                let z = or(&or(&mv, &cur), &own);
                (z.clone(), z)
            }
        };
        zs.index_axis_mut(Axis(0), t).assign(if li { &v } else { &z });
        (mv, mz) = (v, z);
    }
    let m = |a: ArrayD<f64>| a.iter().any(|&x| x != 0.0).then_some(a);
    let step_out = if li { mv.clone() } else { mz.clone() };
    let (zs, mv, mz, mu) = (m(zs.into_dyn()), m(mv.into_dyn()), m(mz.into_dyn()), m(mu.into_dyn()));
    let mut out = match op {
        Op::Iaf(_) => vec![zs, mv],
        Op::IafRecurrent(_) => vec![zs, mv, mz],
        _ => vec![m(step_out.into_dyn()), mv],
    };
    if current_state {
        out.push(mu);
    }
    Ok((out, count))
}

/// 1.0 for each neuron of one step whose decision is within the tolerance; `v` is the
/// potential before the step.
fn own(cell: &Cell, v: &Array2<f64>, steps: &Array2<crate::iaf::cell::StepValues>) -> Array2<f64> {
    Array2::from_shape_fn(steps.dim(), |(b, n)| {
        let f = &steps[(b, n)];
        let u = match cell.order {
            Order::FireThenIntegrate => v[(b, n)],
            Order::IntegrateThenFire => f.v_hat,
        };
        f64::from(u8::from(cell.undecided(n, u, f.s)))
    })
}
