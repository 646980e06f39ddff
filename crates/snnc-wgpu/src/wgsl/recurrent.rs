//! The recurrent integrate-and-fire layer: `cur = x·Wᵀ` (one thread per element), then the
//! time loop with one workgroup per batch row whose threads share the neurons; each step's
//! recurrent input is event-driven (the columns of R of the neurons that spiked, in increasing
//! order, from a bit-packed copy of the previous step's spikes). The reverse-time kernel runs
//! the same way backwards; R's gradient is event-driven on the saved spike bits.

use std::fmt::Write;

use snnc_ir::Spikes;
use snnc_plan::{RecBackK, RecK};

use crate::layout::{words_for, Layout};
use crate::wgsl::cell::Cell;
use crate::wgsl::common::{bits_at, off, per_elem, per_group, surrogate_fn, u, WG};
use crate::wgsl::{need, Launch};

const SYNC: &str = "  storageBarrier(); workgroupBarrier();\n";

/// The forward layer: the input GEMM, then the time loop.
pub fn recurrent(step: usize, l: &Layout, k: &RecK) -> Result<Vec<Launch>, String> {
    let (seq, state, hh) = (k.t * k.b * k.h, k.b * k.h, k.h);
    if k.params.family.spikes == Spikes::Multi {
        // The previous step's spikes travel as bits, which spike counts are not; the
        // lowering refuses these layers.
        return Err("spikes = multi in a recurrent layer (invalid plan)".into());
    }
    need(l, k.x, k.t * k.b * k.i, "x")?;
    need(l, k.w, k.h * k.i, "w")?;
    need(l, k.r, k.h * k.h, "r")?;
    need(l, k.cur, seq, "cur")?;
    let gemm = format!(
        "  let row = i / {h}; let c = i % {h};
  var s = 0.0;
  for (var p = 0u; p < {ni}; p++) {{ s += m[{x} + row * {ni} + p] * m[{w} + c * {ni} + p]; }}
  m[{cur} + i] = s;
",
        h = u(hh.max(1))?,
        ni = u(k.i)?,
        x = off(l, k.x)?,
        w = off(l, k.w)?,
        cur = off(l, k.cur)?,
    );
    let mut launches = vec![per_elem(step, seq, "", &gemm)?];
    let words = words_for(hh);
    let cell = Cell::new(&k.params, false);
    let h = cell.fns(hh)?;
    let (hs, ws, rb) = (u(hh)?, u(words)?, off(l, k.r)?);
    let init_v = match k.v0 {
        Some(b) => {
            need(l, b, state, "v0")?;
            format!("m[{} + bb * {hs} + j]", off(l, b)?)
        }
        None => "rs_at(j)".into(),
    };
    let first = match k.z0 {
        Some(b) => {
            need(l, b, state, "z0")?;
            format!(
                "for (var q = 0u; q < {hs}; q++) {{ let zq = m[{} + bb * {hs} + q]; \
                 if (zq != 0.0) {{ rec += zq * m[{rb} + j * {hs} + q]; }} }}",
                off(l, b)?
            )
        }
        None => String::new(),
    };
    // The leaky cell's synaptic current lives in scratch after the potentials (`ub`); none
    // for the IF cell.
    let (mut init, mut load, mut store, mut fin): (String, String, String, String) =
        Default::default();
    state_u(l, &cell, (k.u0, k.u_last), state, hh, [&mut init, &mut load, &mut store, &mut fin])?;
    let mut w = String::new();
    if let Some(b) = k.z {
        need(l, b, seq, "z")?;
        let _ = writeln!(w, "      m[{} + o] = {};", off(l, b)?, cell.out());
    }
    if let Some(b) = k.v_pre {
        need(l, b, seq, "v_pre")?;
        let _ = writeln!(w, "      m[{} + o] = u;", off(l, b)?);
    }
    if let Some(b) = k.z_last {
        need(l, b, state, "z_last")?;
        let _ = writeln!(
            w,
            "      if (t + 1u == {}) {{ m[{} + bb * {hs} + j] = z; }}",
            u(k.t)?,
            off(l, b)?
        );
    }
    let mut clear = None;
    if let Some(b) = k.z_bits {
        let (bo, wpr) = bits_at(l, b)?;
        let range = l.bits_range(b)?;
        if range.1 < k.t * k.b * wpr || wpr != words {
            return Err("spike bits are too small for the layer (invalid plan)".into());
        }
        clear = Some(range);
        let _ = writeln!(
            w,
            "      if (z != 0.0) {{ atomicOr(&bits[{bo} + (t * {b} + bb) * {ws} + (j >> 5u)], 1u << (j & 31u)); }}",
            b = u(k.b)?
        );
    }
    if let Some(b) = k.v_last {
        need(l, b, state, "v_last")?;
        let vl = off(l, b)?;
        if cell.before() && k.t > 0 {
            // V_T before the reset is v̂ of the last step.
            let _ =
                writeln!(w, "      if (t + 1u == {}) {{ m[{vl} + bb * {hs} + j] = u; }}", u(k.t)?);
        } else {
            let _ = writeln!(
                fin,
                "  for (var j = li; j < {hs}; j += {WG}u) {{ m[{vl} + bb * {hs} + j] = m[vb + j]; }}"
            );
        }
    }
    let body = format!(
        "  let bb = grp; let vb = {sf} + bb * {hs}; let pb = {su} + bb * {w2};
  for (var j = li; j < {hs}; j += {WG}u) {{ m[vb + j] = {init_v};{init} }}
  for (var q = li; q < {w2}; q += {WG}u) {{ atomicStore(&bits[pb + q], 0u); }}
{SYNC}  for (var t = 0u; t < {t}; t++) {{
    let cp = pb + (t % 2u) * {ws}; let np = pb + ((t + 1u) % 2u) * {ws};
    for (var j = li; j < {hs}; j += {WG}u) {{
      var rec = 0.0;
      if (t == 0u) {{
        {first}
      }} else {{
        for (var wd = 0u; wd < {ws}; wd++) {{
          var word = atomicLoad(&bits[cp + wd]);
          while (word != 0u) {{
            let q = wd * 32u + countTrailingZeros(word);
            word = word & (word - 1u);
            rec += m[{rb} + j * {hs} + q];
          }}
        }}
      }}
      let o = (t * {b} + bb) * {hs} + j;
      let x = rec + m[{cur} + o];
      let th = th_at(j); let r = rs_at(j);{lets}
      var v = m[vb + j];{load}
      {upd}
      m[vb + j] = v;{store}
      if (z != 0.0) {{ atomicOr(&bits[np + (j >> 5u)], 1u << (j & 31u)); }}
{w}    }}
  {SYNC}    for (var q = li; q < {ws}; q += {WG}u) {{ atomicStore(&bits[cp + q], 0u); }}
  {SYNC}  }}
{fin}",
        sf = u(l.scratch)?,
        su = u(l.scratch_u32)?,
        w2 = u(2 * words)?,
        t = u(k.t)?,
        b = u(k.b)?,
        cur = off(l, k.cur)?,
        upd = cell.update(k.params.order),
        lets = cell.lets(),
    );
    let mut lp = per_group(step, k.b, &h, &body)?;
    lp.clear_bits = clear;
    launches.push(lp);
    Ok(launches)
}

/// Reverse time of the recurrent layer, then R's gradient.
pub fn recurrent_back(step: usize, l: &Layout, k: &RecBackK) -> Result<Vec<Launch>, String> {
    let (seq, state, hh) = (k.t * k.b * k.h, k.b * k.h, k.h);
    need(l, k.r, hh * hh, "r")?;
    need(l, k.v_pre, seq, "v_pre")?;
    need(l, k.g_cur, seq, "g_cur")?;
    let hs = u(hh)?;
    let cell = Cell::new(&k.params, true);
    let mut h = cell.fns(hh)?;
    h.push_str(&surrogate_fn("sg", &k.params.surrogate));
    let st = |b: Option<snnc_plan::BufId>, what: &str| -> Result<String, String> {
        match b {
            Some(b) => {
                need(l, b, state, what)?;
                Ok(format!("m[{} + bb * {hs} + j]", off(l, b)?))
            }
            None => Ok("0.0".into()),
        }
    };
    let (mut gvl, gzl) = (st(k.gv_last, "gv_last")?, st(k.gz_last, "gz_last")?);
    let gz_up = match k.gz {
        Some(b) => {
            need(l, b, seq, "gz")?;
            format!("m[{} + o]", off(l, b)?)
        }
        None => "0.0".into(),
    };
    // A leaky integrator's output is its potential, not spikes: the recurrent gradient gI·R
    // of its (zero) spikes reaches nothing.
    let gz = if cell.integrator() { gz_up } else { format!("m[gzb + j] + {gz_up}") };
    // A V_T reported before the reset is v̂ of the last step: its gradient joins the reverse
    // step's there instead of starting gv.
    let last = "t + 1u == ".to_string() + &u(k.t)?;
    let mut gh_let = String::new();
    let gh = if cell.before() && k.gv_last.is_some() {
        gh_let = format!(" let gh = {gvl};");
        gvl = "0.0".into();
        Some((last.as_str(), "gh"))
    } else {
        None
    };
    let (mut init, mut load, mut store, mut fin): (String, String, String, String) =
        Default::default();
    state_u(l, &cell, (k.gu_last, k.gu0), state, hh, [&mut init, &mut load, &mut store, &mut fin])?;
    for (b, src, what) in [(k.gv0, "gvb", "gv0"), (k.gz0, "gzb", "gz0")] {
        if let Some(b) = b {
            need(l, b, state, what)?;
            let _ = writeln!(
                fin,
                "  for (var j = li; j < {hs}; j += {WG}u) {{ m[{} + bb * {hs} + j] = m[{src} + j]; }}",
                off(l, b)?
            );
        }
    }
    let (gc, rb) = (off(l, k.g_cur)?, off(l, k.r)?);
    let body = format!(
        "  let bb = grp; let gvb = {sf} + bb * {hs}; let gzb = {sf} + {state} + bb * {hs};
  for (var j = li; j < {hs}; j += {WG}u) {{ m[gvb + j] = {gvl}; m[gzb + j] = {gzl};{init} }}
{SYNC}  for (var tt = {t}; tt > 0u; tt--) {{
    let t = tt - 1u;
    for (var j = li; j < {hs}; j += {WG}u) {{
      let o = (t * {b} + bb) * {hs} + j;
      let gz = {gz};
      let u = m[{vp} + o]; let th = th_at(j); let r = rs_at(j);{lets}{gh_let}
      var gv = m[gvb + j];{load}
      {step}
      m[gvb + j] = gv;{store}
      m[{gc} + o] = gi;
    }}
  {SYNC}    for (var j = li; j < {hs}; j += {WG}u) {{
      let row = {gc} + (t * {b} + bb) * {hs};
      var s = 0.0;
      for (var q = 0u; q < {hs}; q++) {{ s += m[row + q] * m[{rb} + q * {hs} + j]; }}
      m[gzb + j] = s;
    }}
  {SYNC}  }}
{fin}",
        sf = u(l.scratch)?,
        state = u(state)?,
        t = u(k.t)?,
        b = u(k.b)?,
        vp = off(l, k.v_pre)?,
        step = cell.back(k.params.order, gh),
        lets = cell.lets(),
    );
    let mut launches = vec![per_group(step, k.b, &h, &body)?];
    if let Some(gr) = k.gr {
        need(l, gr, hh * hh, "gr")?;
        let (bo, wpr) = bits_at(l, k.z_bits)?;
        if l.bits_range(k.z_bits)?.1 < k.t * k.b * wpr || wpr * 32 < hh {
            return Err("spike bits are too small for the layer (invalid plan)".into());
        }
        let z0 = match k.z0 {
            Some(b) => {
                need(l, b, state, "z0")?;
                format!(
                    "for (var bb = 0u; bb < {b}; bb++) {{ s += m[{gc} + bb * {hs} + o] * m[{} + bb * {hs} + q]; }}",
                    off(l, b)?,
                    b = u(k.b)?
                )
            }
            None => String::new(),
        };
        let rows = k.t.saturating_sub(1) * k.b;
        let body = format!(
            "  let o = i / {hs}; let q = i % {hs};
  var s = 0.0;
  for (var row = 0u; row < {rows}; row++) {{
    let w = atomicLoad(&bits[{bo} + row * {wpr} + (q >> 5u)]);
    if (((w >> (q & 31u)) & 1u) != 0u) {{ s += m[{gc} + ({b} + row) * {hs} + o]; }}
  }}
  {z0}
  m[{gr} + i] = s;
",
            hs = u(hh.max(1))?,
            rows = u(rows)?,
            wpr = u(wpr)?,
            b = u(k.b)?,
            gr = off(l, gr)?,
        );
        let body = if k.t == 0 { format!("  m[{} + i] = 0.0;\n", off(l, gr)?) } else { body };
        launches.push(per_elem(step, hh * hh, "", &body)?);
    }
    Ok(launches)
}

/// The synaptic current's state of a recurrent kernel, in scratch after the potentials
/// (forward; `ub`) or after ∂L/∂v and the recurrent spike gradients (reverse): `bufs` are its
/// initial value (U0, or ∂L/∂U_T) and its final one (U_T, or ∂L/∂U0). Appends to `out`, in
/// order, the initialization (inside the per-neuron loop over `j` of batch row `bb`), the
/// load into `syn` or `gu` and the store back (inside a step), and the copy out of the final
/// value (after the time loop); nothing for a cell without a current.
fn state_u(
    l: &Layout,
    cell: &Cell<'_>,
    bufs: (Option<snnc_plan::BufId>, Option<snnc_plan::BufId>),
    state: usize,
    hh: usize,
    out: [&mut String; 4],
) -> Result<(), String> {
    if !cell.current() {
        if bufs.0.is_some() || bufs.1.is_some() {
            return Err("a synaptic current's state for a cell without one (invalid plan)".into());
        }
        return Ok(());
    }
    let [init, load, store, fin] = out;
    let (var, slot) = if cell.backward() { ("gu", 2) } else { ("syn", 1) };
    let hs = u(hh)?;
    let at = format!("{} + {} + bb * {hs}", u(l.scratch)?, u(slot * state)?);
    let first = match bufs.0 {
        Some(b) => {
            need(l, b, state, "u0")?;
            format!("m[{} + bb * {hs} + j]", off(l, b)?)
        }
        None => "0.0".into(),
    };
    let _ = write!(init, " m[{at} + j] = {first};");
    let _ = write!(load, "\n      var {var} = m[{at} + j];");
    let _ = write!(store, " m[{at} + j] = {var};");
    if let Some(b) = bufs.1 {
        need(l, b, state, "u_last")?;
        let _ = writeln!(
            fin,
            "  for (var j = li; j < {hs}; j += {WG}u) {{ m[{} + bb * {hs} + j] = m[{at} + j]; }}",
            off(l, b)?
        );
    }
    Ok(())
}
