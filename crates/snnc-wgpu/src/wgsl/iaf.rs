//! Feed-forward integrate-and-fire kernels: the forward sequence (one thread per neuron and
//! batch row running the whole time loop), spike-reset, packing spikes to bits, and the
//! reverse-time kernel. The membrane update uses the same f32 operations in the same order
//! as the reference (SPEC §1), so spikes and potentials are bitwise the CPU engine's.

use std::fmt::Write;

use snnc_ir::{Dialect, IafParams, Spikes, StepText};
use snnc_plan::{IafBackK, IafK, PackK, ResetK};

use crate::layout::Layout;
use crate::wgsl::cell::{param_fn, params_fns, Cell};
use crate::wgsl::common::{bits_at, off, per_elem, surrogate_fn, u};
use crate::wgsl::{need, Launch, ERR_NOT_BINARY};

/// The feed-forward IAF sequence.
pub fn iaf(step: usize, l: &Layout, k: &IafK) -> Result<Vec<Launch>, String> {
    let (seq, state) = (k.t * k.b * k.n, k.b * k.n);
    need(l, k.x, seq, "x")?;
    let cell = Cell::new(&k.params, false);
    let mut h = cell.fns(k.n)?;
    let v0 = match k.v0 {
        Some(b) => {
            need(l, b, state, "v0")?;
            format!("m[{} + i]", off(l, b)?)
        }
        None => "r".into(),
    };
    // The leaky cell's state beyond v: the synaptic current, and v̂ of the last step when it
    // is V_T. Empty for the IF cell.
    let mut init = String::new();
    let mut w = String::new();
    let mut fin = String::new();
    state_u(l, &cell, (k.u0, k.u_last), state, &mut init, &mut fin)?;
    if cell.before() {
        init.push_str("  var vh = v;\n");
        w.push_str("    vh = u;\n");
    }
    if let Some(b) = k.z {
        need(l, b, seq, "z")?;
        let _ = writeln!(w, "    m[{} + o] = {};", off(l, b)?, cell.out());
    }
    if let Some(b) = k.v_pre {
        need(l, b, seq, "v_pre")?;
        let _ = writeln!(w, "    m[{} + o] = u;", off(l, b)?);
    }
    let mut clear = None;
    if let Some(b) = k.z_bits {
        if k.params.family.spikes == Spikes::Multi {
            // Spike counts are not bits; the lowering never asks for them.
            return Err("spikes = multi emits spike counts, which cannot be bit-packed \
                        (invalid plan)"
                .into());
        }
        let (bo, wpr) = bits_at(l, b)?;
        let range = l.bits_range(b)?;
        if range.1 < k.t * k.b * wpr || wpr * 32 < k.n {
            return Err("spike bits are too small for the layer (invalid plan)".into());
        }
        clear = Some(range);
        let _ = writeln!(
            w,
            "    if (z != 0.0) {{ atomicOr(&bits[{bo} + (t * {b} + bb) * {wpr} + (j >> 5u)], 1u << (j & 31u)); }}",
            b = u(k.b)?,
            wpr = u(wpr)?
        );
    }
    if let Some(b) = k.v_last {
        need(l, b, state, "v_last")?;
        let vt = if cell.before() { "vh" } else { "v" };
        let _ = writeln!(fin, "  m[{} + i] = {vt};", off(l, b)?);
    }
    let _ = writeln!(h);
    let body = format!(
        "  let bb = i / {n}; let j = i % {n};
  let th = th_at(j); let r = rs_at(j);{lets}
  var v = {v0};
{init}  for (var t = 0u; t < {t}; t++) {{
    let o = t * {state} + i;
    let x = m[{x} + o];
    {upd}
{w}  }}
{fin}",
        n = u(k.n.max(1))?,
        t = u(k.t)?,
        state = u(state)?,
        x = off(l, k.x)?,
        upd = cell.update(k.params.order),
        lets = cell.lets(),
    );
    let mut launch = per_elem(step, state, &h, &body)?;
    launch.clear_bits = clear;
    Ok(vec![launch])
}

/// `SpikeReset`: the spike(s) and reset of the kernel's family member at `u = v̂ + 0` (the
/// reference's).
pub fn reset(step: usize, l: &Layout, k: &ResetK) -> Result<Vec<Launch>, String> {
    let len = k.rows * k.n;
    need(l, k.v, len, "v")?;
    let p = IafParams {
        v_th: k.v_th.clone(),
        v_reset: k.v_reset.clone(),
        family: k.family,
        reset_amount: k.reset_amount.clone(),
        ..Default::default()
    };
    let mut h = params_fns(&p, k.n)?;
    // The amount the subtract reset removes: the threshold unless the cell has its own.
    param_fn(&mut h, "rd_at", p.reset_amount.as_ref().unwrap_or(&p.v_th));
    let t = StepText::with_amount(Dialect::Wgsl, k.family, "z", "rd");
    let mut w = String::new();
    if let Some(b) = k.z {
        need(l, b, len, "z")?;
        let _ = writeln!(w, "  m[{} + i] = z;", off(l, b)?);
    }
    if let Some(b) = k.v_out {
        need(l, b, len, "v")?;
        let _ = writeln!(w, "  m[{} + i] = {};", off(l, b)?, t.reset);
    }
    let body = format!(
        "  let j = i % {n}; let th = th_at(j); let r = rs_at(j); let rd = rd_at(j);
  let u = 0.0 + m[{v} + i];
  let s = u - th; let z = {spike};
{w}",
        n = u(k.n.max(1))?,
        v = off(l, k.v)?,
        spike = t.spike,
    );
    Ok(vec![per_elem(step, len, &h, &body)?])
}

/// Packs 0/1 data `[rows, cols]` to bits, one thread per word; other values are an error.
pub fn pack(step: usize, l: &Layout, k: &PackK) -> Result<Vec<Launch>, String> {
    need(l, k.src, k.rows * k.cols, "spikes")?;
    let (bo, wpr) = bits_at(l, k.dst)?;
    if l.bits_range(k.dst)?.1 < k.rows * wpr || wpr * 32 < k.cols {
        return Err("spike bits are too small (invalid plan)".into());
    }
    let body = format!(
        "  let row = i / {wpr}; let wd = i % {wpr};
  var word = 0u;
  for (var c = 0u; c < 32u; c++) {{
    let col = wd * 32u + c;
    if (col < {cols}) {{
      let x = m[{src} + row * {cols} + col];
      if (x == 1.0) {{ word = word | (1u << c); }} else if (x != 0.0) {{ fail({ERR_NOT_BINARY}u); }}
    }}
  }}
  atomicStore(&bits[{bo} + i], word);
",
        wpr = u(wpr.max(1))?,
        cols = u(k.cols)?,
        src = off(l, k.src)?,
    );
    Ok(vec![per_elem(step, k.rows * wpr, "", &body)?])
}

/// Reverse time of a feed-forward layer, one thread per neuron and batch row.
pub fn iaf_back(step: usize, l: &Layout, k: &IafBackK) -> Result<Vec<Launch>, String> {
    let (seq, state) = (k.t * k.b * k.n, k.b * k.n);
    need(l, k.v_pre, seq, "v_pre")?;
    need(l, k.gx, seq, "gx")?;
    let cell = Cell::new(&k.params, true);
    let mut h = cell.fns(k.n)?;
    h.push_str(&surrogate_fn("sg", &k.params.surrogate));
    let mut gv_last = match k.gv_last {
        Some(b) => {
            need(l, b, state, "gv_last")?;
            format!("m[{} + i]", off(l, b)?)
        }
        None => "0.0".into(),
    };
    let mut init = String::new();
    let mut fin = String::new();
    state_u(l, &cell, (k.gu_last, k.gu0), state, &mut init, &mut fin)?;
    // A V_T reported before the reset is v̂ of the last step, not the state v_T: its
    // gradient joins the reverse step's there.
    let last = format!("tt == {}", u(k.t)?);
    let gh = if cell.before() && k.gv_last.is_some() {
        let _ = writeln!(init, "  let gh = {gv_last};");
        gv_last = "0.0".into();
        Some((last.as_str(), "gh"))
    } else {
        None
    };
    let gz = match k.gz {
        Some(b) => {
            need(l, b, seq, "gz")?;
            format!("m[{} + o]", off(l, b)?)
        }
        None => "0.0".into(),
    };
    if let Some(b) = k.gv0 {
        need(l, b, state, "gv0")?;
        let _ = writeln!(fin, "  m[{} + i] = gv;", off(l, b)?);
    }
    let body = format!(
        "  let j = i % {n};
  let th = th_at(j); let r = rs_at(j);{lets}
  var gv = {gv_last};
{init}  for (var tt = {t}; tt > 0u; tt--) {{
    let o = (tt - 1u) * {state} + i;
    let u = m[{vp} + o]; let gz = {gz};
    {step}
    m[{gx} + o] = gi;
  }}
{fin}",
        n = u(k.n.max(1))?,
        t = u(k.t)?,
        state = u(state)?,
        vp = off(l, k.v_pre)?,
        gx = off(l, k.gx)?,
        step = cell.back(k.params.order, gh),
        lets = cell.lets(),
    );
    Ok(vec![per_elem(step, state, &h, &body)?])
}

/// The synaptic current's state of a feed-forward kernel over `state` elements `i`: `bufs`
/// are its initial value (U0, or ∂L/∂U_T in reverse time) and its final one (U_T, or ∂L/∂U0).
/// Declares `var syn` (forward) or `var gu` (reverse) in `init` and writes the final value in
/// `fin`; nothing for a cell without a current, which has neither buffer.
fn state_u(
    l: &Layout,
    cell: &Cell<'_>,
    bufs: (Option<snnc_plan::BufId>, Option<snnc_plan::BufId>),
    state: usize,
    init: &mut String,
    fin: &mut String,
) -> Result<(), String> {
    if !cell.current() {
        if bufs.0.is_some() || bufs.1.is_some() {
            return Err("a synaptic current's state for a cell without one (invalid plan)".into());
        }
        return Ok(());
    }
    let var = if cell.backward() { "gu" } else { "syn" };
    let first = match bufs.0 {
        Some(b) => {
            need(l, b, state, "u0")?;
            format!("m[{} + i]", off(l, b)?)
        }
        None => "0.0".into(),
    };
    let _ = writeln!(init, "  var {var} = {first};");
    if let Some(b) = bufs.1 {
        need(l, b, state, "u_last")?;
        let _ = writeln!(fin, "  m[{} + i] = {var};", off(l, b)?);
    }
    Ok(())
}
