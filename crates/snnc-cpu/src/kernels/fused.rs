//! The plan's fused linear + IAF steps ([`snnc_plan::LinearIafK`]), run as one pass or as
//! their two parts, and a linear step reading spikes as bits ([`crate::schedule::Task`]).

use snnc_kernels::{spike_linear_iaf, IafOutputs, KernelError, SeqDims, SpikeBits, SpikeInput};
use snnc_plan::{IafK, LinearK};

use crate::kernels::iaf::{bits, cell};
use crate::kernels::linear::{linear_on, packed};
use crate::kernels::{need_dims, Ctx};
use crate::store::Io;

fn ke(e: KernelError) -> String {
    e.to_string()
}

/// Runs the linear part `l` and the IAF part `f` (which reads `l`'s output) as one pass when
/// the input spikes are binary and sparse enough for the event path; otherwise (found out
/// during that pass) as the two steps, one after the other. `io` holds both steps' buffers
/// (but not `l`'s input when `source` is given). With `source`, `l` reads its input spikes
/// from those bits instead of its f32 input. With `scratch`, the spikes go there as bits
/// instead of to `f`'s f32 spikes (`f` then saves no bits itself). Results are bitwise those
/// of the two steps run apart.
pub(crate) fn linear_iaf(
    l: &LinearK,
    f: &IafK,
    io: &mut Io,
    cx: Ctx,
    source: Option<&SpikeBits>,
    scratch: Option<&mut SpikeBits>,
) -> Result<(), String> {
    let x = match source {
        Some(s) => {
            need_dims("x bits", s.rows() * s.cols(), &[l.rows, l.k])?;
            SpikeInput::Bits(s.view())
        }
        None => {
            let x = io.r(l.x)?;
            need_dims("x", x.len(), &[l.rows, l.k])?;
            SpikeInput::F32(x)
        }
    };
    let (w, b, v0, u0) = (io.r(l.w)?, io.ro(l.bias)?, io.ro(f.v0)?, io.ro(f.u0)?);
    let y = io.w(l.y)?;
    need_dims("w", w.len(), &[l.k, l.n])?;
    let dims = SeqDims { t: f.t, b: f.b, n: f.n };
    let scratch_used = scratch.is_some();
    let mut z_bits = match scratch {
        Some(s) => {
            if s.rows() != f.t * f.b || s.cols() != f.n {
                *s = SpikeBits::zeros(f.t * f.b, f.n).map_err(ke)?;
            }
            Some(s)
        }
        None => bits(io, f.z_bits, f.t * f.b, f.n)?,
    };
    let mut z = if scratch_used { None } else { io.wo(f.z)? };
    let (mut v_pre, mut v_last) = (io.wo(f.v_pre)?, io.wo(f.v_last)?);
    let mut u_last = io.wo(f.u_last)?;
    let neurons = cell(&f.params, f.n)?;
    let packed = packed(l, w, cx)?;
    let out = IafOutputs {
        z: z.as_deref_mut(),
        z_bits: z_bits.as_deref_mut(),
        v_pre: v_pre.as_deref_mut(),
        v_last: v_last.as_deref_mut(),
        z_last: None,
        u_last: u_last.as_deref_mut(),
    };
    match spike_linear_iaf(dims, x, &packed, b, &neurons, v0, u0, out, cx.threads) {
        Ok(true) => return Ok(()),
        Ok(false) | Err(KernelError::NotBinary { .. }) => {}
        Err(e) => return Err(ke(e)),
    }
    linear_on(l, x, w, b, y, cx)?;
    let out = IafOutputs { z, z_bits, v_pre, v_last, z_last: None, u_last };
    neurons.forward(dims, y, v0, u0, out, cx.threads).map_err(ke)
}

/// Runs the linear part `l`, writing the currents, then the IAF part `f` on them: what the
/// two steps did before the plan fused them (`Engine::with_fusion(false)`), kept to check the
/// fused pass against.
pub(crate) fn linear_iaf_apart(l: &LinearK, f: &IafK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (x, w, b, v0) = (io.r(l.x)?, io.r(l.w)?, io.ro(l.bias)?, io.ro(f.v0)?);
    let u0 = io.ro(f.u0)?;
    let y = io.w(l.y)?;
    linear_on(l, SpikeInput::F32(x), w, b, y, cx)?;
    need_dims("currents", y.len(), &[f.t, f.b, f.n])?;
    let out = IafOutputs {
        z: io.wo(f.z)?,
        z_bits: bits(io, f.z_bits, f.t * f.b, f.n)?,
        v_pre: io.wo(f.v_pre)?,
        v_last: io.wo(f.v_last)?,
        z_last: None,
        u_last: io.wo(f.u_last)?,
    };
    let dims = SeqDims { t: f.t, b: f.b, n: f.n };
    cell(&f.params, f.n)?.forward(dims, y, v0, u0, out, cx.threads).map_err(ke)
}

/// The event-driven linear step `l` on spikes given as bits instead of its f32 input.
pub(crate) fn linear_bits(l: &LinearK, io: &mut Io, x: &SpikeBits, cx: Ctx) -> Result<(), String> {
    let (w, b) = (io.r(l.w)?, io.ro(l.bias)?);
    let y = io.w(l.y)?;
    linear_on(l, SpikeInput::Bits(x.view()), w, b, y, cx)
}
