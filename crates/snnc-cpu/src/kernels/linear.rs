//! Matrix products, linear layers (dense and event-driven), their gradients.

use std::borrow::Cow;

use snnc_kernels::{
    add_bias_rows, sgemm, spike_linear, spike_linear_dw, sum_rows as sum_rows_k, DwLayout,
    KernelError, LinearDims, SpikeInput, SpikePath, SpikeWeights,
};
use snnc_plan::{BiasK, LinearK, MmK, SpikeDwK, SpikeSrc, SumRowsK, WRef};

use crate::kernels::{need_dims, numel, Ctx};
use crate::store::Io;

fn ke(e: KernelError) -> String {
    e.to_string()
}

fn tail<'a>(x: &'a [f32], off: usize, what: &str) -> Result<&'a [f32], String> {
    x.get(off..).ok_or_else(|| format!("{what} offset {off} is past its buffer (invalid plan)"))
}

/// `C (+)= alpha·A·B` for every entry.
pub(crate) fn mm(k: &MmK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (a, b, c) = (io.r(k.a.buf)?, io.r(k.b.buf)?, io.w(k.c)?);
    for e in &k.entries {
        let (a, b) = (tail(a, e.a_off, "A")?, tail(b, e.b_off, "B")?);
        let c = c.get_mut(e.c_off..).ok_or("C offset is past its buffer (invalid plan)")?;
        if k.alpha == 1.0 {
            sgemm(
                k.m, k.n, k.k, a, k.a.rs, k.a.cs, b, k.b.rs, k.b.cs, c, k.c_rs, e.acc, cx.threads,
            )
            .map_err(ke)?;
            continue;
        }
        let mn = numel(&[k.m, k.n])?;
        if k.m > 0
            && (k.m - 1)
                .checked_mul(k.c_rs)
                .and_then(|x| x.checked_add(k.n))
                .is_none_or(|e| e > c.len())
        {
            return Err("C is too short (invalid plan)".into());
        }
        let mut t = vec![0f32; mn];
        sgemm(k.m, k.n, k.k, a, k.a.rs, k.a.cs, b, k.b.rs, k.b.cs, &mut t, k.n, false, cx.threads)
            .map_err(ke)?;
        for i in 0..k.m {
            let row =
                c.get_mut(i * k.c_rs..i * k.c_rs + k.n).ok_or("C is too short (invalid plan)")?;
            for (d, &v) in row.iter_mut().zip(&t[i * k.n..(i + 1) * k.n]) {
                *d = if e.acc { *d + k.alpha * v } else { k.alpha * v };
            }
        }
    }
    Ok(())
}

/// `y = alpha·y + beta·C` (C broadcast by its strides).
pub(crate) fn bias(k: &BiasK, io: &mut Io) -> Result<(), String> {
    let c = io.ro(k.c)?;
    let y = io.w(k.y)?;
    need_dims("y", y.len(), &[k.rows, k.cols])?;
    if let Some(c) = c {
        let last = k.rows.saturating_sub(1).checked_mul(k.c_rs).and_then(|a| {
            k.cols.saturating_sub(1).checked_mul(k.c_cs).and_then(|b| a.checked_add(b))
        });
        if !y.is_empty() && last.is_none_or(|l| l >= c.len()) {
            return Err("C is too short for its strides (invalid plan)".into());
        }
    }
    for i in 0..k.rows {
        for j in 0..k.cols {
            let v = &mut y[i * k.cols + j];
            let cv = c.map_or(0.0, |c| k.beta * c[i * k.c_rs + j * k.c_cs]);
            *v = if k.alpha == 1.0 { *v + cv } else { k.alpha * *v + cv };
        }
    }
    Ok(())
}

/// The dense product `y = x·op(W)` (no bias).
fn dense(k: &LinearK, x: &[f32], w: &[f32], y: &mut [f32], cx: Ctx) -> Result<(), String> {
    let (rs, cs) = if k.trans_b { (1, k.k) } else { (k.n, 1) };
    sgemm(k.rows, k.n, k.k, x, k.k, 1, w, rs, cs, y, k.n, false, cx.threads).map_err(ke)
}

/// Packs W for the event-driven kernels.
fn pack(k: &LinearK, w: &[f32]) -> Result<SpikeWeights, String> {
    if k.trans_b {
        SpikeWeights::from_out_in(w, k.n, k.k).map_err(ke)
    } else {
        SpikeWeights::from_in_out(w, k.k, k.n).map_err(ke)
    }
}

/// Linear / SpikeLinear: event-driven when asked and the input is 0/1 and sparse, else dense
/// (the choice depends on the data only, never on threads).
pub(crate) fn linear(k: &LinearK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (x, w, b) = (io.r(k.x)?, io.r(k.w)?, io.ro(k.bias)?);
    let y = io.w(k.y)?;
    linear_on(k, SpikeInput::F32(x), w, b, y, cx)
}

/// The packed weights of an event-driven linear step.
pub(crate) fn packed<'p>(
    k: &LinearK,
    w: &[f32],
    cx: Ctx<'p>,
) -> Result<Cow<'p, SpikeWeights>, String> {
    match k.event {
        Some(WRef::Packed(p)) => {
            Ok(Cow::Borrowed(cx.plan.packed(p).ok_or("missing packed weights")?))
        }
        _ => Ok(Cow::Owned(pack(k, w)?)),
    }
}

/// [`linear`] on given buffers; `x` may be spike bits (then it is binary by construction).
pub(crate) fn linear_on(
    k: &LinearK,
    x: SpikeInput<'_>,
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    cx: Ctx,
) -> Result<(), String> {
    need_dims("y", y.len(), &[k.rows, k.n])?;
    need_dims("w", w.len(), &[k.k, k.n])?;
    if let SpikeInput::F32(x) = x {
        need_dims("x", x.len(), &[k.rows, k.k])?;
    }
    // The kernel builds the row lists in one pass, which also finds a non-binary entry (then
    // the dense GEMM below runs) or a density above the crossover (then it runs its own GEMM).
    if k.event.is_some() {
        let packed = packed(k, w, cx)?;
        let dims = LinearDims { rows: k.rows, inputs: k.k, outputs: k.n };
        match spike_linear(dims, x, &packed, b, y, SpikePath::Auto, cx.threads) {
            Ok(_) => return Ok(()),
            Err(KernelError::NotBinary { .. }) => {}
            Err(e) => return Err(ke(e)),
        }
    }
    let x = match x {
        SpikeInput::F32(x) => Cow::Borrowed(x),
        SpikeInput::Bits(bits) => {
            let mut d = vec![0f32; numel(&[k.rows, k.k])?];
            bits.to_f32(&mut d).map_err(ke)?;
            Cow::Owned(d)
        }
    };
    dense(k, &x, w, y, cx)?;
    match b {
        Some(b) => add_bias_rows(y, k.rows, k.n, b).map_err(ke),
        None => Ok(()),
    }
}

/// dW of a linear layer fed by spikes, event-driven (dense when the input is not 0/1).
pub(crate) fn spike_dw(k: &SpikeDwK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let g = io.r(k.g)?;
    let dims = LinearDims { rows: k.rows, inputs: k.k, outputs: k.n };
    let layout = if k.trans_b { DwLayout::OutIn } else { DwLayout::InOut };
    let path = SpikePath::Auto;
    match k.x {
        SpikeSrc::Bits(b) => {
            let bits = io.bits_r(b)?;
            let dw = io.w(k.dw)?;
            let x = SpikeInput::Bits(bits.view());
            spike_linear_dw(dims, g, x, dw, layout, k.acc, path, cx.threads).map_err(ke)?;
        }
        SpikeSrc::Dense(b) => {
            let x = io.r(b)?;
            let dw = io.w(k.dw)?;
            match spike_linear_dw(dims, g, SpikeInput::F32(x), dw, layout, k.acc, path, cx.threads)
            {
                Ok(_) => {}
                Err(KernelError::NotBinary { .. }) => {
                    let (r, n, kk) = (k.rows, k.n, k.k);
                    if k.trans_b {
                        sgemm(n, kk, r, g, 1, n, x, kk, 1, dw, kk, k.acc, cx.threads)
                            .map_err(ke)?;
                    } else {
                        sgemm(kk, n, r, x, 1, kk, g, n, 1, dw, n, k.acc, cx.threads).map_err(ke)?;
                    }
                }
                Err(e) => return Err(ke(e)),
            }
        }
    }
    Ok(())
}

/// The bias gradient.
pub(crate) fn sum_rows(k: &SumRowsK, io: &mut Io) -> Result<(), String> {
    let g = io.r(k.g)?;
    let dst = io.w(k.dst)?;
    sum_rows_k(g, k.rows, k.cols, dst, k.acc).map_err(ke)
}
