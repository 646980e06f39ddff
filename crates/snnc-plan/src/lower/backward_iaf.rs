//! Gradient kernels of the integrate-and-fire layers: one reverse-time kernel per layer, then
//! GEMMs for the recurrent layers' dX and dW.

use snnc_ir::{Node, Op};

use crate::kernel_iaf::{IafBackK, RecBackK};
use crate::lower::backward_linear::tr;
use crate::lower::backward_rules::{want, R};
use crate::lower::ctx::Lower;
use crate::lower::select::in_value;
use crate::lower::select_ops::{single, u_slots};
use crate::{BufId, Kernel, MmK, Opnd, PlanError};

pub(crate) fn iaf(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    params: snnc_ir::IafParams,
    gouts: &[Option<BufId>],
) -> R {
    let current = params.leak.has_current();
    let (u_in, u_out) = u_slots(&node.op);
    let (wx, wv) = (want(l, node, 0), want(l, node, 1));
    let wu = if current { want(l, node, u_in) } else { None };
    let x = in_value(node, 0)?;
    let v_pre = l.nodes[ni]
        .v_pre
        .ok_or_else(|| PlanError::node(node, "no saved potentials (internal error)"))?;
    let need = [wx, wv, wu].iter().flatten().fold(0, |m, v| m | l.dep[v.0]);
    let gx = match wx {
        Some(v) => l.gdst_over(v),
        None => l.arena(l.len_of(x)),
    };
    let gv0 = wv.map(|v| l.gdst_over(v));
    let gu0 = wu.map(|v| l.gdst_over(v));
    let s = l.shape(x);
    let (t, b, n) = if s.len() == 2 { (1, s[0], s[1]) } else { (s[0], s[1], s[2]) };
    let at = |i: usize| gouts.get(i).copied().flatten();
    let (gz, gv_last) = (at(0), at(1));
    let gu_last = if current { at(u_out) } else { None };
    let k = IafBackK { t, b, n, params, v_pre, gz, gv_last, gx, gv0, gu_last, gu0 };
    l.push(ni, need, Kernel::IafBack(k));
    Ok(())
}

pub(crate) fn recurrent(l: &mut Lower, ni: usize, node: &Node, gouts: &[Option<BufId>]) -> R {
    let Some(Kernel::Recurrent(fk)) =
        l.steps.iter().find(|s| s.node as usize == ni).map(|s| s.kernel.clone())
    else {
        return Err(PlanError::node(node, "no forward kernel (internal error)"));
    };
    let step = matches!(node.op, Op::IafStep(_));
    let slots = if step { [0, 3, 4, 2, 1] } else { [0, 1, 2, 3, 4] };
    let [wx, ww, wr, wv0, wz0] = slots.map(|s| want(l, node, s));
    let current = fk.params.leak.has_current();
    let (u_in, u_out) = u_slots(&node.op);
    let wu0 = if current { want(l, node, u_in) } else { None };
    let need = [wx, ww, wr, wv0, wz0, wu0].iter().flatten().fold(0, |m, v| m | l.dep[v.0]);
    let (v_pre, z_bits) = match (fk.v_pre, fk.z_bits) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(PlanError::node(node, "no saved state (internal error)")),
    };
    let at = |i: usize| gouts.get(i).copied().flatten();
    // IAFStep's Z_new is the last step's spikes, whose gradient enters as Z_T's; a leaky
    // integrator's is its potential, its per-step output.
    let li = fk.params.family.is_integrator();
    let (gz, gv_last, gz_last) = match (step, li) {
        (true, false) => (None, at(1), at(0)),
        (true, true) => (at(0), at(1), None),
        (false, _) => (at(0), at(1), at(2)),
    };
    let (t, b, h, i) = (fk.t, fk.b, fk.h, fk.i);
    let g_cur = l.arena(t * b * h);
    let gv0 = wv0.map(|v| l.gdst_over(v));
    let gz0 = wz0.map(|v| l.gdst_over(v));
    let gr = wr.map(|v| l.gdst_over(v));
    let gu0 = wu0.map(|v| l.gdst_over(v));
    let gu_last = if current { at(u_out) } else { None };
    let params = fk.params.clone();
    let k = RecBackK {
        t,
        b,
        h,
        params,
        r: fk.r,
        v_pre,
        z_bits,
        z0: fk.z0,
        gz,
        gv_last,
        gz_last,
        g_cur,
        gv0,
        gz0,
        gr,
        gu_last,
        gu0,
    };
    l.push(ni, need, Kernel::RecurrentBack(k));
    l.flush(ni);
    let gco = Opnd { buf: g_cur, rs: h, cs: 1 };
    if let Some(v) = wx {
        let (c, acc) = l.gdst(ni, v);
        let wo = Opnd { buf: fk.w, rs: i, cs: 1 };
        let mm = MmK {
            m: t * b,
            n: i,
            k: h,
            a: gco,
            b: wo,
            c,
            c_rs: i,
            alpha: 1.0,
            entries: single(acc),
        };
        l.push(ni, l.dep[v.0], Kernel::Mm(mm));
    }
    if let Some(v) = ww {
        let (c, acc) = l.gdst(ni, v);
        let xo = Opnd { buf: fk.x, rs: i, cs: 1 };
        let mm = MmK {
            m: h,
            n: i,
            k: t * b,
            a: tr(gco),
            b: xo,
            c,
            c_rs: i,
            alpha: 1.0,
            entries: single(acc),
        };
        l.push(ni, l.dep[v.0], Kernel::Mm(mm));
    }
    Ok(())
}
