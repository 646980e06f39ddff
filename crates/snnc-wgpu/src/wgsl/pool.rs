//! 2-D pooling (1-D arrives as height 1): sum, the two averages and max, forward and the input
//! gradient. Both are gathers: the forward pass one thread per output window, the gradient one
//! thread per input element summing the shares of the windows that contain it (so no two
//! threads write one element); max's gradient finds each such window's chosen tap again from
//! `x` (the first largest in row-major order, or the first NaN, as the reference).

use snnc_plan::{PoolBackK, PoolGeom, PoolK, PoolOp};

use crate::layout::Layout;
use crate::wgsl::common::{f, off, per_elem, u};
use crate::wgsl::{need, numel, Launch};

/// Refuses a geometry no kernel can run (a zero stride) or whose index arithmetic would leave
/// 32 bits; returns the sizes of x and y.
fn check(g: &PoolGeom) -> Result<(usize, usize), String> {
    if g.sh == 0 || g.sw == 0 || g.kh == 0 || g.kw == 0 {
        return Err("a pooling with a zero stride or an empty window (invalid plan)".into());
    }
    for reach in [
        numel(&[g.oh, g.sh])?.checked_add(g.kh),
        numel(&[g.ow, g.sw])?.checked_add(g.kw),
        g.h.checked_add(g.ph).and_then(|v| v.checked_add(g.sh)),
        g.w.checked_add(g.pw).and_then(|v| v.checked_add(g.sw)),
        g.kh.checked_mul(g.kw),
    ] {
        if reach.is_none_or(|r| r > u32::MAX as usize) {
            return Err("pooling extents overflow 32-bit indices (invalid plan)".into());
        }
    }
    Ok((numel(&[g.n, g.h, g.w])?, numel(&[g.n, g.oh, g.ow])?))
}

/// The geometry's literals in `src` (divisors never zero, even where nothing runs).
fn fill(src: &str, g: &PoolGeom) -> Result<String, String> {
    let mut s = src.replace("PH_", &u(g.ph)?).replace("PW_", &u(g.pw)?);
    for (name, v) in [
        ("HH_", g.h),
        ("WW_", g.w),
        ("OH_", g.oh),
        ("OW_", g.ow),
        ("KH_", g.kh),
        ("KW_", g.kw),
        ("SH_", g.sh),
        ("SW_", g.sw),
    ] {
        s = s.replace(name, &u(v.max(1))?);
    }
    Ok(s)
}

/// `fn pick(xb: u32, oy: u32, ox: u32) -> u32`: the plane offset of the tap that max pooling
/// chooses in window (oy, ox) of the plane at `xb`: the first largest in row-major order, or
/// the first NaN; `0xffffffffu` for a window wholly in the padding.
fn pick_fn(g: &PoolGeom) -> Result<String, String> {
    let src = format!(
        "fn pick(xb: u32, oy: u32, ox: u32) -> u32 {{
  var best = 0.0;
  var at = 0xffffffffu;
  for (var ky = 0u; ky < {kh}; ky++) {{
    let iy = oy * SH_ + ky;
    if (iy < PH_ || iy - PH_ >= {h}) {{ continue; }}
    for (var kx = 0u; kx < {kw}; kx++) {{
      let ix = ox * SW_ + kx;
      if (ix < PW_ || ix - PW_ >= {w}) {{ continue; }}
      let p = (iy - PH_) * WW_ + ix - PW_;
      let v = m[xb + p];
      if (v != v) {{ return p; }}
      if (at == 0xffffffffu || v > best) {{ best = v; at = p; }}
    }}
  }}
  return at;
}}
",
        kh = u(g.kh)?,
        kw = u(g.kw)?,
        h = u(g.h)?,
        w = u(g.w)?,
    );
    fill(&src, g)
}

/// `fn taps(oy: u32, ox: u32) -> u32`: how many taps of window (oy, ox) lie inside the input.
fn taps_fn(g: &PoolGeom) -> Result<String, String> {
    let src = format!(
        "fn span(o: u32, s: u32, k: u32, p: u32, n: u32) -> u32 {{
  let lo = max(o * s, p);
  let hi = min(o * s + k, p + n);
  return select(0u, hi - lo, hi > lo);
}}
fn taps(oy: u32, ox: u32) -> u32 {{
  return span(oy, SH_, {kh}, PH_, {h}) * span(ox, SW_, {kw}, PW_, {w});
}}
",
        kh = u(g.kh)?,
        kw = u(g.kw)?,
        h = u(g.h)?,
        w = u(g.w)?,
    );
    fill(&src, g)
}

/// [`PoolK`]: one thread per output window.
pub fn pool(step: usize, l: &Layout, k: &PoolK) -> Result<Vec<Launch>, String> {
    let g = &k.g;
    let (x_len, y_len) = check(g)?;
    need(l, k.x, x_len, "x")?;
    need(l, k.y, y_len, "y")?;
    if y_len == 0 {
        return Ok(Vec::new());
    }
    let (helpers, value) = match k.op {
        // An empty window's maximum is −∞, as the reference's.
        PoolOp::Max => (
            pick_fn(g)?,
            format!("let at = pick(xb, oy, ox);\n  var v = {};\n  if (at != 0xffffffffu) {{ v = m[xb + at]; }}", f(f32::NEG_INFINITY)),
        ),
        op => {
            let div = match op {
                PoolOp::AvgIncludePad => format!(" / {}", f(numel(&[g.kh, g.kw])? as f32)),
                PoolOp::AvgExcludePad => " / f32(taps(oy, ox))".into(),
                _ => String::new(),
            };
            let sum = format!(
                "var s = 0.0;
  for (var ky = 0u; ky < {kh}; ky++) {{
    let iy = oy * SH_ + ky;
    if (iy < PH_ || iy - PH_ >= {h}) {{ continue; }}
    for (var kx = 0u; kx < {kw}; kx++) {{
      let ix = ox * SW_ + kx;
      if (ix < PW_ || ix - PW_ >= {w}) {{ continue; }}
      s = s + m[xb + (iy - PH_) * WW_ + ix - PW_];
    }}
  }}
  let v = s{div};",
                kh = u(g.kh)?,
                kw = u(g.kw)?,
                h = u(g.h)?,
                w = u(g.w)?,
            );
            (taps_fn(g)?, sum)
        }
    };
    let body = format!(
        "  let ox = i % OW_; var t = i / OW_; let oy = t % OH_; let pl = t / OH_;
  let xb = {x} + pl * {hw};
  {value}
  m[{y} + i] = v;
",
        x = off(l, k.x)?,
        y = off(l, k.y)?,
        hw = u(numel(&[g.h, g.w])?)?,
    );
    Ok(vec![per_elem(step, y_len, &helpers, &fill(&body, g)?)?])
}

/// [`PoolBackK`]: one thread per input element sums, over the windows that contain it (rows,
/// then columns, increasing), its share of each window's gradient.
pub fn pool_back(step: usize, l: &Layout, k: &PoolBackK) -> Result<Vec<Launch>, String> {
    let g = &k.g;
    let (x_len, y_len) = check(g)?;
    if k.op == PoolOp::Max {
        need(l, k.x, x_len, "x")?;
    }
    need(l, k.dy, y_len, "dy")?;
    need(l, k.dx, x_len, "dx")?;
    if x_len == 0 {
        return Ok(Vec::new());
    }
    let (helpers, share) = match k.op {
        PoolOp::Sum => (String::new(), "g".to_string()),
        PoolOp::AvgIncludePad => {
            (String::new(), format!("g / {}", f(numel(&[g.kh, g.kw])? as f32)))
        }
        PoolOp::AvgExcludePad => (taps_fn(g)?, "g / f32(taps(oy, ox))".to_string()),
        PoolOp::Max => (pick_fn(g)?, "select(0.0, g, pick(xb, oy, ox) == me)".to_string()),
    };
    let xb = if k.op == PoolOp::Max { off(l, k.x)? } else { "0u".into() };
    // Window (oy, ox) covers padded rows oy·sh .. oy·sh + kh: padded row ty = iy + ph is in the
    // windows from ⌈(ty + 1 − kh) / sh⌉ to ⌊ty / sh⌋.
    let body = format!(
        "  let ix = i % WW_; var t = i / WW_; let iy = t % HH_; let pl = t / HH_;
  let xb = {xb} + pl * {hw};
  let me = iy * WW_ + ix;
  let ty = iy + PH_; let tx = ix + PW_;
  let oy0 = select(0u, (ty + SH_ - KH_) / SH_, ty + 1u > KH_);
  let ox0 = select(0u, (tx + SW_ - KW_) / SW_, tx + 1u > KW_);
  let oy1 = min(ty / SH_ + 1u, {oh});
  let ox1 = min(tx / SW_ + 1u, {ow});
  var s = 0.0;
  for (var oy = oy0; oy < oy1; oy++) {{
    for (var ox = ox0; ox < ox1; ox++) {{
      let g = m[{dy} + (pl * OH_ + oy) * OW_ + ox];
      s = s + {share};
    }}
  }}
  {st}
",
        hw = u(numel(&[g.h, g.w])?)?,
        dy = off(l, k.dy)?,
        oh = u(g.oh)?,
        ow = u(g.ow)?,
        st = if k.acc {
            format!("m[{d} + i] = m[{d} + i] + s;", d = off(l, k.dx)?)
        } else {
            format!("m[{} + i] = s;", off(l, k.dx)?)
        },
    );
    Ok(vec![per_elem(step, x_len, &helpers, &fill(&body, g)?)?])
}
