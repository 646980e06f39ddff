//! Feed-forward integrate-and-fire kernels: the forward sequence (one thread per neuron and
//! batch row running the whole time loop), spike-reset, packing spikes to bits, and the
//! reverse-time kernel. The membrane update uses the same f32 operations in the same order
//! as the reference (SPEC §1), so spikes and potentials are bitwise the CPU engine's.

use std::fmt::Write;

use snnc_ir::{Dialect, Family, IafParams, Order, Spikes, StepText};
use snnc_plan::{IafBackK, IafK, PackK, ResetK};

use crate::layout::Layout;
use crate::wgsl::common::{bits_at, f, off, per_elem, surrogate_fn, u};
use crate::wgsl::{need, Launch, ERR_NOT_BINARY};

/// `fn th_at(j) -> f32` and `fn rs_at(j) -> f32`: threshold and reset of neuron `j`.
pub fn params_fns(p: &IafParams, n: usize) -> Result<String, String> {
    p.check(n).map_err(|e| format!("{e} (invalid plan)"))?;
    let mut s = String::new();
    for (name, v) in [("th_at", &p.v_th), ("rs_at", &p.v_reset)] {
        if v.len() == 1 {
            let _ = writeln!(s, "fn {name}(j: u32) -> f32 {{ return {}; }}", f(v[0]));
        } else {
            let items: Vec<String> = v.iter().map(|&x| f(x)).collect();
            let len = v.len();
            let _ = writeln!(
                s,
                "fn {name}(j: u32) -> f32 {{ var v = array<f32, {len}>({}); return v[j]; }}",
                items.join(", ")
            );
        }
    }
    Ok(s)
}

/// One step of the membrane of family member `f`, as WGSL statements on `v` (potential), `x`
/// (current), `th`, `r`: defines `u` (pre-reset potential), `s` (`u − th`) and `z` (the
/// spike(s)). The formulas are [`snnc_ir::neuron`]'s, printed by [`StepText`].
pub fn update(order: Order, f: Family) -> String {
    let t = StepText::new(Dialect::Wgsl, f, "z");
    let (u, v) = match order {
        Order::FireThenIntegrate => ("v".to_string(), format!("{} + x", t.reset)),
        Order::IntegrateThenFire => ("v + x".to_string(), t.reset),
    };
    format!("let u = {u}; let s = u - th; let z = {}; v = {v};", t.spike)
}

/// The feed-forward IAF sequence.
pub fn iaf(step: usize, l: &Layout, k: &IafK) -> Result<Vec<Launch>, String> {
    let (seq, state) = (k.t * k.b * k.n, k.b * k.n);
    need(l, k.x, seq, "x")?;
    let mut h = params_fns(&k.params, k.n)?;
    let v0 = match k.v0 {
        Some(b) => {
            need(l, b, state, "v0")?;
            format!("m[{} + i]", off(l, b)?)
        }
        None => "r".into(),
    };
    let mut w = String::new();
    if let Some(b) = k.z {
        need(l, b, seq, "z")?;
        let _ = writeln!(w, "    m[{} + o] = z;", off(l, b)?);
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
    let mut fin = String::new();
    if let Some(b) = k.v_last {
        need(l, b, state, "v_last")?;
        let _ = writeln!(fin, "  m[{} + i] = v;", off(l, b)?);
    }
    let _ = writeln!(h);
    let body = format!(
        "  let bb = i / {n}; let j = i % {n};
  let th = th_at(j); let r = rs_at(j);
  var v = {v0};
  for (var t = 0u; t < {t}; t++) {{
    let o = t * {state} + i;
    let x = m[{x} + o];
    {upd}
{w}  }}
{fin}",
        n = u(k.n.max(1))?,
        t = u(k.t)?,
        state = u(state)?,
        x = off(l, k.x)?,
        upd = update(k.params.order, k.params.family),
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
    let p = IafParams { v_th: k.v_th.clone(), v_reset: k.v_reset.clone(), ..Default::default() };
    let h = params_fns(&p, k.n)?;
    let t = StepText::new(Dialect::Wgsl, k.family, "z");
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
        "  let j = i % {n}; let th = th_at(j); let r = rs_at(j);
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

/// One reverse step of family member `f` as WGSL statements: from `u` (pre-reset
/// potential), `gz` and `gv` (∂L/∂v_t), sets `gi` (gradient of the step's current) and
/// replaces `gv` by ∂L/∂v_{t−1}: the spike(s) are recomputed from `u`, and
/// `back = g·∂reset/∂u + (gz + g·∂reset/∂z)·σ'(s)`, in the CPU kernel's order.
pub fn back_step(order: Order, f: Family) -> String {
    let t = StepText::new(Dialect::Wgsl, f, "z");
    let gi = match order {
        Order::FireThenIntegrate => "g",
        Order::IntegrateThenFire => "back",
    };
    format!(
        "let s = u - th; let z = {spike}; let g = gv;
    let gzz = gz + g * {dz}; let back = g * {du} + gzz * sg(s); let gi = {gi}; gv = back;",
        spike = t.spike,
        dz = t.dz,
        du = t.du,
    )
}

/// Reverse time of a feed-forward layer, one thread per neuron and batch row.
pub fn iaf_back(step: usize, l: &Layout, k: &IafBackK) -> Result<Vec<Launch>, String> {
    let (seq, state) = (k.t * k.b * k.n, k.b * k.n);
    need(l, k.v_pre, seq, "v_pre")?;
    need(l, k.gx, seq, "gx")?;
    let mut h = params_fns(&k.params, k.n)?;
    h.push_str(&surrogate_fn("sg", &k.params.surrogate));
    let gv_last = match k.gv_last {
        Some(b) => {
            need(l, b, state, "gv_last")?;
            format!("m[{} + i]", off(l, b)?)
        }
        None => "0.0".into(),
    };
    let gz = match k.gz {
        Some(b) => {
            need(l, b, seq, "gz")?;
            format!("m[{} + o]", off(l, b)?)
        }
        None => "0.0".into(),
    };
    let fin = match k.gv0 {
        Some(b) => {
            need(l, b, state, "gv0")?;
            format!("  m[{} + i] = gv;\n", off(l, b)?)
        }
        None => String::new(),
    };
    let body = format!(
        "  let j = i % {n};
  let th = th_at(j); let r = rs_at(j);
  var gv = {gv_last};
  for (var tt = {t}; tt > 0u; tt--) {{
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
        step = back_step(k.params.order, k.params.family),
    );
    Ok(vec![per_elem(step, state, &h, &body)?])
}
