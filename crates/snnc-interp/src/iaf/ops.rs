//! The four `snn` ops in terms of one layer run: `IAF` and `IAFRecurrent` are runs over T steps;
//! `IAFFeedForwardStep` and `IAFStep` are runs of one step whose initial state is the op's state
//! input (V, and Z for `IAFStep`). A cell with a synaptic current takes its state U as the
//! last input slot and reports it as the last output; a leaky integrator's per-step output
//! (slot 0) is its potential.

use ndarray::{ArrayD, ArrayView2, ArrayView3, Axis, Ix2, Ix3};
use snnc_ir::{IafParams, Op, VOut};

use crate::iaf::cell::Cell;
use crate::iaf::reverse::{reverse, Upstream};
use crate::iaf::sim::{simulate, Source, Trajectory};
use crate::value::Arg;

fn mat(a: &ArrayD<f64>) -> Result<ArrayView2<'_, f64>, String> {
    a.view()
        .into_dimensionality::<Ix2>()
        .map_err(|_| format!("expected rank 2, got {:?}", a.shape()))
}

fn seq(a: &ArrayD<f64>) -> Result<ArrayView3<'_, f64>, String> {
    a.view()
        .into_dimensionality::<Ix3>()
        .map_err(|_| format!("expected rank 3, got {:?}", a.shape()))
}

/// A single step's [B, N] tensor as a one-step sequence [1, B, N].
fn one_step(a: &ArrayD<f64>) -> Result<ArrayView3<'_, f64>, String> {
    Ok(mat(a)?.insert_axis(Axis(0)))
}

fn opt_mat<'a>(args: &[Option<Arg<'a>>], i: usize) -> Result<Option<ArrayView2<'a, f64>>, String> {
    args.get(i).copied().flatten().map(|a| mat(a.data)).transpose()
}

fn req<'a>(args: &[Option<Arg<'a>>], i: usize) -> Result<&'a ArrayD<f64>, String> {
    args.get(i).copied().flatten().map(|a| a.data).ok_or_else(|| format!("input {i} is missing"))
}

/// The layer run an `snn` op describes, with its neuron parameters (for masks, `args` may be
/// the masks of the inputs: the layout is the same).
pub(crate) fn layer<'a>(
    op: &Op,
    p: &IafParams,
    args: &[Option<Arg<'a>>],
) -> Result<(Cell, Source<'a>), String> {
    let weights = |w: usize, r: usize| -> Result<_, String> {
        Ok(Some((mat(req(args, w)?)?, mat(req(args, r)?)?)))
    };
    let src = match op {
        Op::Iaf(_) => Source {
            x: seq(req(args, 0)?)?,
            weights: None,
            v0: opt_mat(args, 1)?,
            z0: None,
            u0: opt_mat(args, 2)?,
        },
        Op::IafRecurrent(_) => Source {
            x: seq(req(args, 0)?)?,
            weights: weights(1, 2)?,
            v0: opt_mat(args, 3)?,
            z0: opt_mat(args, 4)?,
            u0: opt_mat(args, 5)?,
        },
        Op::IafFeedForwardStep(_) => Source {
            x: one_step(req(args, 0)?)?,
            weights: None,
            v0: opt_mat(args, 1)?,
            z0: None,
            u0: opt_mat(args, 2)?,
        },
        Op::IafStep(_) => Source {
            x: one_step(req(args, 0)?)?,
            weights: weights(3, 4)?,
            v0: opt_mat(args, 2)?,
            z0: opt_mat(args, 1)?,
            u0: opt_mat(args, 5)?,
        },
        other => return Err(format!("{} is not an integrate-and-fire op", other.name())),
    };
    let (_, b, h) = src.dims();
    let i = src.x.dim().2;
    if let Some((w, r)) = src.weights {
        if w.dim() != (h, i) || r.dim() != (h, h) {
            return Err(format!(
                "weights {:?} and {:?} do not fit input {:?}",
                w.shape(),
                r.shape(),
                src.x.shape()
            ));
        }
    } else if i != h {
        return Err("feed-forward layer with mismatched sizes".into());
    }
    for s in [src.v0, src.z0, src.u0].into_iter().flatten() {
        if s.dim() != (b, h) {
            return Err(format!("state {:?} does not fit [{b},{h}]", s.shape()));
        }
    }
    p.check(h)?;
    let cell = Cell {
        th: (0..h).map(|n| p.v_th_at(n) as f64).collect(),
        reset: (0..h).map(|n| p.v_reset_at(n) as f64).collect(),
        amount: (0..h).map(|n| p.reset_amount_at(n) as f64).collect(),
        order: p.order,
        surrogate: p.surrogate,
        family: p.family,
        leak: p.leak.clone(),
        v_out: p.v_out,
        dtype: args.first().copied().flatten().map(|a| a.ty.dtype).ok_or("input 0 is missing")?,
    };
    Ok((cell, src))
}

/// Runs an `snn` op's layer and returns its trajectory (for margins).
pub(crate) fn trajectory(
    op: &Op,
    p: &IafParams,
    args: &[Option<Arg>],
) -> Result<Trajectory, String> {
    let (cell, src) = layer(op, p, args)?;
    Ok(simulate(&cell, &src))
}

/// Every output slot of an `snn` op.
pub(crate) fn forward(op: &Op, p: &IafParams, args: &[Option<Arg>]) -> Result<Vec<Ar>, String> {
    let tr = trajectory(op, p, args)?;
    let (v_last, z_last, u_last, last) =
        match (tr.v.last(), tr.z.last(), tr.u.last(), tr.steps.last()) {
            (Some(v), Some(z), Some(u), Some(last)) => (v, z, u, last),
            _ => return Err("empty trajectory (internal error)".into()),
        };
    let v_out = match p.v_out {
        VOut::AfterReset => v_last.clone(),
        VOut::BeforeReset => last.mapv(|f| f.v_hat),
    }
    .into_dyn();
    let li = p.family.is_integrator();
    let per_step = if li { tr.potentials() } else { tr.spikes() }.into_dyn();
    let step_out = if li { v_last } else { z_last }.clone().into_dyn();
    let mut out = match op {
        Op::Iaf(_) => vec![per_step, v_out],
        Op::IafRecurrent(_) => vec![per_step, v_out, z_last.clone().into_dyn()],
        _ => vec![step_out, v_out],
    };
    if p.leak.has_current() {
        out.push(u_last.clone().into_dyn());
    }
    Ok(out)
}

type Ar = ArrayD<f64>;

/// Gradients of an `snn` op's input slots from its outputs' upstream gradients (`None` = zero).
pub(crate) fn backward(
    op: &Op,
    p: &IafParams,
    args: &[Option<Arg>],
    gouts: &[Option<Ar>],
) -> Result<Vec<Option<Ar>>, String> {
    let (cell, src) = layer(op, p, args)?;
    let tr = simulate(&cell, &src);
    let g = |i: usize| gouts.get(i).and_then(|g| g.as_ref());
    let m = |i: usize| g(i).map(mat).transpose();
    let u_slot = match op {
        Op::IafRecurrent(_) => 3,
        _ => 2,
    };
    let u_last = if p.leak.has_current() { m(u_slot)? } else { None };
    let up = match op {
        Op::Iaf(_) => {
            Upstream { z: g(0).map(seq).transpose()?, v_last: m(1)?, z_last: None, u_last }
        }
        Op::IafRecurrent(_) => {
            Upstream { z: g(0).map(seq).transpose()?, v_last: m(1)?, z_last: m(2)?, u_last }
        }
        Op::IafFeedForwardStep(_) => {
            Upstream { z: g(0).map(one_step).transpose()?, v_last: m(1)?, z_last: None, u_last }
        }
        _ if p.family.is_integrator() => {
            Upstream { z: g(0).map(one_step).transpose()?, v_last: m(1)?, z_last: None, u_last }
        }
        _ => Upstream { z: None, v_last: m(1)?, z_last: m(0)?, u_last },
    };
    let gr = reverse(&cell, &src, &tr, &up);
    let (x, v0, z0) = (gr.x.into_dyn(), Some(gr.v0.into_dyn()), Some(gr.z0.into_dyn()));
    let u0 = p.leak.has_current().then(|| gr.u0.into_dyn());
    let (w, r) = match gr.weights {
        Some((w, r)) => (Some(w.into_dyn()), Some(r.into_dyn())),
        None => (None, None),
    };
    let mut out = match op {
        Op::Iaf(_) => vec![Some(x), v0],
        Op::IafRecurrent(_) => vec![Some(x), w, r, v0, z0],
        Op::IafFeedForwardStep(_) => vec![Some(x.index_axis_move(Axis(0), 0)), v0],
        _ => vec![Some(x.index_axis_move(Axis(0), 0)), z0, v0, w, r],
    };
    if u0.is_some() {
        out.push(u0);
    }
    Ok(out)
}
