//! Gradient kernels of the window ops: Conv's dX ([`ConvDxK`]), dW and the bias gradient
//! ([`ConvDwK`]), and the pools' dX ([`PoolBackK`]); each only when its input is
//! differentiated for the program's `Wrt` choice (the step's need mask), as for linear layers.

use snnc_ir::{ConvSpec, Node, PoolSpec};

use crate::kernel_window::{ConvDwK, ConvDxK, PoolBackK};
use crate::lower::backward_rules::{want, R};
use crate::lower::ctx::Lower;
use crate::lower::select_window::{conv_geom, pool_geom, pool_op};
use crate::{BufId, Kernel};

/// Conv: dX from `g` and W; dW from `g` and X, and the bias gradient, in one step when both
/// are wanted under the same choices and start the same way (overwrite or accumulate), else
/// in one step each.
pub(crate) fn conv(l: &mut Lower, ni: usize, node: &Node, g: BufId, spec: &ConvSpec) -> R {
    let geom = conv_geom(l, node, spec)?;
    let (x, w) = (l.req(node, 0)?, l.req(node, 1)?);
    if let Some(v) = want(l, node, 0) {
        let (dx, acc) = l.gdst(ni, v);
        let k = ConvDxK { g: geom, dy: g, w, dx, acc };
        l.push(ni, l.dep[v.0], Kernel::ConvDx(k));
    }
    let (ww, wb) = (want(l, node, 1), want(l, node, 2));
    let dw = ww.map(|v| (v, l.gdst(ni, v)));
    let db = wb.map(|v| (v, l.gdst(ni, v)));
    let step = |dw: Option<(BufId, bool)>, db: Option<(BufId, bool)>, acc| ConvDwK {
        g: geom,
        dy: g,
        x,
        dw: dw.map(|d| d.0),
        db: db.map(|d| d.0),
        acc,
    };
    match (dw, db) {
        (Some((vw, w)), Some((vb, b))) if w.1 == b.1 && l.dep[vw.0] == l.dep[vb.0] => {
            l.push(ni, l.dep[vw.0], Kernel::ConvDw(step(Some(w), Some(b), w.1)));
        }
        (dw, db) => {
            if let Some((v, w)) = dw {
                l.push(ni, l.dep[v.0], Kernel::ConvDw(step(Some(w), None, w.1)));
            }
            if let Some((v, b)) = db {
                l.push(ni, l.dep[v.0], Kernel::ConvDw(step(None, Some(b), b.1)));
            }
        }
    }
    Ok(())
}

/// SumPool, AveragePool, MaxPool: dX (MaxPool finds each window's tap again from X).
pub(crate) fn pool(l: &mut Lower, ni: usize, node: &Node, g: BufId, spec: &PoolSpec) -> R {
    let Some(v) = want(l, node, 0) else { return Ok(()) };
    let geom = pool_geom(l, node, spec)?;
    let x = l.req(node, 0)?;
    let (dx, acc) = l.gdst(ni, v);
    let k = PoolBackK { op: pool_op(spec.kind), g: geom, x, dy: g, dx, acc };
    l.push(ni, l.dep[v.0], Kernel::PoolBack(k));
    Ok(())
}
