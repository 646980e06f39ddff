//! Integrate-and-fire kernels, for the leaky cell of SPEC §1.2 (the IF cell is its special
//! case): forward (saving for backward), reverse time, spike-reset, and packing spikes to bits.

use std::borrow::Cow;

use snnc_ir::{neuron, IafParams};
use snnc_kernels::{
    sgemm, IafCell, IafGrads, IafOutputs, IafUpstream, KernelError, RecurrentGrads,
    RecurrentInputs, RecurrentSaved, RecurrentUpstream, SeqDims, SpikeBits, SpikeWeights,
};
use snnc_plan::{BufId, IafBackK, IafK, PackK, RecBackK, RecK, ResetK};

use crate::kernels::{need, need_dims, Ctx};
use crate::store::Io;

fn ke(e: KernelError) -> String {
    e.to_string()
}

pub(crate) fn cell(p: &IafParams, n: usize) -> Result<IafCell, String> {
    IafCell::new(p, n).map_err(ke)
}

/// The bits buffer `b`, sized `rows × cols` (reallocated only when the size changes).
pub(crate) fn bits<'s>(
    io: &mut Io<'s>,
    b: Option<BufId>,
    rows: usize,
    cols: usize,
) -> Result<Option<&'s mut SpikeBits>, String> {
    let Some(b) = b else { return Ok(None) };
    let bits = io.bits_w(b)?;
    if bits.rows() != rows || bits.cols() != cols {
        *bits = SpikeBits::zeros(rows, cols).map_err(ke)?;
    }
    Ok(Some(bits))
}

/// The feed-forward IAF layer.
pub(crate) fn iaf(k: &IafK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (x, v0, u0) = (io.r(k.x)?, io.ro(k.v0)?, io.ro(k.u0)?);
    need_dims("x", x.len(), &[k.t, k.b, k.n])?;
    let out = IafOutputs {
        z: io.wo(k.z)?,
        z_bits: bits(io, k.z_bits, k.t * k.b, k.n)?,
        v_pre: io.wo(k.v_pre)?,
        v_last: io.wo(k.v_last)?,
        z_last: None,
        u_last: io.wo(k.u_last)?,
    };
    let dims = SeqDims { t: k.t, b: k.b, n: k.n };
    cell(&k.params, k.n)?.forward(dims, x, v0, u0, out, cx.threads).map_err(ke)
}

/// The recurrent IAF layer: `cur = x·Wᵀ`, then the event-driven time loop.
pub(crate) fn recurrent(k: &RecK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (x, w, r) = (io.r(k.x)?, io.r(k.w)?, io.r(k.r)?);
    let (v0, z0, u0) = (io.ro(k.v0)?, io.ro(k.z0)?, io.ro(k.u0)?);
    let cur = io.w(k.cur)?;
    need_dims("x", x.len(), &[k.t, k.b, k.i])?;
    need_dims("cur", cur.len(), &[k.t, k.b, k.h])?;
    need_dims("r", r.len(), &[k.h, k.h])?;
    sgemm(k.t * k.b, k.h, k.i, x, k.i, 1, w, 1, k.i, cur, k.h, false, cx.threads).map_err(ke)?;
    let packed: Cow<SpikeWeights> = match k.r_pack {
        Some(p) => Cow::Borrowed(cx.plan.packed(p).ok_or("missing packed weights")?),
        None => Cow::Owned(SpikeWeights::from_out_in(r, k.h, k.h).map_err(ke)?),
    };
    let out = IafOutputs {
        z: io.wo(k.z)?,
        z_bits: bits(io, k.z_bits, k.t * k.b, k.h)?,
        v_pre: io.wo(k.v_pre)?,
        v_last: io.wo(k.v_last)?,
        z_last: io.wo(k.z_last)?,
        u_last: io.wo(k.u_last)?,
    };
    let dims = SeqDims { t: k.t, b: k.b, n: k.h };
    let inp = RecurrentInputs { cur, r: &packed, v0, z0, u0 };
    cell(&k.params, k.h)?.recurrent_forward(dims, inp, out, cx.threads).map_err(ke)
}

/// `SpikeReset`: the fire-and-reset half of an integrate-then-fire step of the kernel's family
/// member, with the reference's roundings (`v̂ + 0`, then [`neuron::spike`] and
/// [`neuron::reset`] in f32).
pub(crate) fn reset(k: &ResetK, io: &mut Io) -> Result<(), String> {
    let v = io.r(k.v)?;
    need_dims("v", v.len(), &[k.rows, k.n])?;
    let len = v.len();
    let at = |p: &[f32], j: usize| if p.len() == 1 { p[0] } else { p[j] };
    for p in [&k.v_th, &k.v_reset].into_iter().chain(k.reset_amount.as_ref()) {
        if p.len() != 1 && p.len() != k.n {
            return Err(format!("{} parameter values for {} neurons (invalid plan)", p.len(), k.n));
        }
    }
    k.family.check()?;
    // The amount the subtract reset removes: the threshold unless the cell has its own.
    let amount = k.reset_amount.as_ref().unwrap_or(&k.v_th);
    let step = |i: usize| {
        let j = i % k.n.max(1);
        let u = 0.0 + v[i];
        let (th, r, d) = (at(&k.v_th, j), at(&k.v_reset, j), at(amount, j));
        let z = neuron::spike(k.family, u - th, u, th);
        (z, neuron::reset(k.family, z, u, d, r))
    };
    if let Some(z) = io.wo(k.z)? {
        need("z", z.len(), len)?;
        z.iter_mut().enumerate().for_each(|(i, o)| *o = step(i).0);
    }
    if let Some(o) = io.wo(k.v_out)? {
        need("v", o.len(), len)?;
        o.iter_mut().enumerate().for_each(|(i, o)| *o = step(i).1);
    }
    Ok(())
}

/// Packs a spike-linear layer's input to bits.
pub(crate) fn pack(k: &PackK, io: &mut Io) -> Result<(), String> {
    let src = io.r(k.src)?;
    let dst = io.bits_w(k.dst)?;
    *dst = SpikeBits::from_f32(src, k.rows, k.cols)
        .map_err(|e| format!("the input of a spike-linear layer must be 0/1: {e}"))?;
    Ok(())
}

/// Reverse time of a feed-forward layer (and of `SpikeReset`).
pub(crate) fn iaf_back(k: &IafBackK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let v_pre = io.r(k.v_pre)?;
    let up =
        IafUpstream { gz: io.ro(k.gz)?, gv_last: io.ro(k.gv_last)?, gu_last: io.ro(k.gu_last)? };
    let grads = IafGrads { gx: io.w(k.gx)?, gv0: io.wo(k.gv0)?, gu0: io.wo(k.gu0)? };
    need_dims("gx", grads.gx.len(), &[k.t, k.b, k.n])?;
    let dims = SeqDims { t: k.t, b: k.b, n: k.n };
    cell(&k.params, k.n)?.backward(dims, v_pre, up, grads, cx.threads).map_err(ke)
}

/// Reverse time of a recurrent layer.
pub(crate) fn recurrent_back(k: &RecBackK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (r, v_pre, z_bits, z0) = (io.r(k.r)?, io.r(k.v_pre)?, io.bits_r(k.z_bits)?, io.ro(k.z0)?);
    let up = RecurrentUpstream {
        gz: io.ro(k.gz)?,
        gv_last: io.ro(k.gv_last)?,
        gz_last: io.ro(k.gz_last)?,
        gu_last: io.ro(k.gu_last)?,
    };
    let grads = RecurrentGrads {
        g_cur: io.w(k.g_cur)?,
        gv0: io.wo(k.gv0)?,
        gz0: io.wo(k.gz0)?,
        gr: io.wo(k.gr)?,
        gu0: io.wo(k.gu0)?,
    };
    need_dims("g_cur", grads.g_cur.len(), &[k.t, k.b, k.h])?;
    let saved = RecurrentSaved { v_pre, z_bits: z_bits.view(), z0 };
    let dims = SeqDims { t: k.t, b: k.b, n: k.h };
    cell(&k.params, k.h)?.recurrent_backward(dims, r, saved, up, grads, cx.threads).map_err(ke)
}
