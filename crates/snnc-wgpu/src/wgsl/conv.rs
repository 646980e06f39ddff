//! 2-D convolution (1-D arrives as height 1): forward, input gradient, weight and bias
//! gradients, all as gathers so that every output element has one writer and no float atomics
//! are needed. The forward pass gathers over the taps of an output (the plan's `event` hint is a
//! CPU choice: a gather reads every tap anyway); the input gradient gathers, for each input
//! element, the outputs whose windows read it; the weight and bias gradients give one workgroup
//! to each element, its threads striding over images and output positions, then a fixed-order
//! tree sum (deterministic).

use snnc_plan::{ConvDwK, ConvDxK, ConvGeom, ConvK};

use crate::layout::Layout;
use crate::wgsl::common::{off, per_elem, per_group, u, WG};
use crate::wgsl::{need, numel, Launch};

/// The geometry's literals and checked sizes.
struct Geo {
    /// `c / group`, `m / group`.
    cg: usize,
    mg: usize,
    /// Elements of x (and dx), w, y (and dy).
    x_len: usize,
    w_len: usize,
    y_len: usize,
}

/// Refuses a geometry no kernel can run (zero groups, channels not split evenly, a zero
/// stride or dilation) or whose index arithmetic would leave 32 bits.
fn geo(g: &ConvGeom) -> Result<Geo, String> {
    if g.group == 0 || !g.c.is_multiple_of(g.group) || !g.m.is_multiple_of(g.group) {
        return Err(format!(
            "{} input and {} output channels do not split into {} groups (invalid plan)",
            g.c, g.m, g.group
        ));
    }
    if g.sh == 0 || g.sw == 0 || g.dh == 0 || g.dw == 0 {
        return Err("a convolution with a zero stride or dilation (invalid plan)".into());
    }
    // The largest row and column a tap can name before the padding is taken off.
    for reach in [
        numel(&[g.oh, g.sh])?.checked_add(numel(&[g.kh, g.dh])?),
        numel(&[g.ow, g.sw])?.checked_add(numel(&[g.kw, g.dw])?),
        g.h.checked_add(g.ph),
        g.w.checked_add(g.pw),
    ] {
        if reach.is_none_or(|r| r > u32::MAX as usize) {
            return Err("convolution extents overflow 32-bit indices (invalid plan)".into());
        }
    }
    let (cg, mg) = (g.c / g.group, g.m / g.group);
    Ok(Geo {
        cg,
        mg,
        x_len: numel(&[g.n, g.c, g.h, g.w])?,
        w_len: numel(&[g.m, cg, g.kh, g.kw])?,
        y_len: numel(&[g.n, g.m, g.oh, g.ow])?,
    })
}

/// Replaces the geometry's names in `src` by their literals (longest names first, so that
/// `OHW` is not read as `OH` followed by `W`).
fn fill(src: &str, g: &ConvGeom, e: &Geo) -> Result<String, String> {
    let names: [(&str, usize); 18] = [
        ("KHW", numel(&[g.kh, g.kw])?),
        ("OHW", numel(&[g.oh, g.ow])?),
        ("HW_", numel(&[g.h, g.w])?),
        ("CG_", e.cg),
        ("MG_", e.mg),
        ("NN_", g.n),
        ("CC_", g.c),
        ("MM_", g.m),
        ("HH_", g.h),
        ("WW_", g.w),
        ("OH_", g.oh),
        ("OW_", g.ow),
        ("KH_", g.kh),
        ("KW_", g.kw),
        ("SH_", g.sh),
        ("SW_", g.sw),
        ("DH_", g.dh),
        ("DW_", g.dw),
    ];
    let mut s = src.replace("PH_", &u(g.ph)?).replace("PW_", &u(g.pw)?);
    for (name, v) in names {
        // Divisors are never zero in the source, even where the kernel never runs.
        s = s.replace(name, &u(v.max(1))?);
    }
    Ok(s)
}

/// `dst = v` or `dst = dst + v`.
fn store(dst: &str, v: &str, acc: bool) -> String {
    if acc {
        format!("{dst} = {dst} + {v};")
    } else {
        format!("{dst} = {v};")
    }
}

/// [`ConvK`]: one thread per output element sums its taps (channels, then rows, then columns,
/// in increasing order), then adds the bias.
pub fn conv(step: usize, l: &Layout, k: &ConvK) -> Result<Vec<Launch>, String> {
    let g = &k.g;
    let e = geo(g)?;
    need(l, k.x, e.x_len, "x")?;
    need(l, k.w, e.w_len, "w")?;
    need(l, k.y, e.y_len, "y")?;
    let bias = match k.bias {
        Some(b) => {
            need(l, b, g.m, "bias")?;
            format!("s = s + m[{} + o];", off(l, b)?)
        }
        None => String::new(),
    };
    if e.y_len == 0 {
        return Ok(Vec::new());
    }
    let body = format!(
        "  let ox = i % OW_; var t = i / OW_; let oy = t % OH_; t = t / OH_;
  let o = t % MM_; let img = t / MM_;
  let xb = {x} + (img * CC_ + (o / MG_) * CG_) * HW_;
  let wb = {w} + o * CG_ * KHW;
  var s = 0.0;
  for (var c = 0u; c < {cg}; c++) {{
    for (var ky = 0u; ky < {kh}; ky++) {{
      let iy = oy * SH_ + ky * DH_;
      if (iy < PH_ || iy - PH_ >= {h}) {{ continue; }}
      let xr = xb + c * HW_ + (iy - PH_) * WW_;
      let wr = wb + (c * KH_ + ky) * KW_;
      for (var kx = 0u; kx < {kw}; kx++) {{
        let ix = ox * SW_ + kx * DW_;
        if (ix < PW_ || ix - PW_ >= {w_}) {{ continue; }}
        s = s + m[xr + ix - PW_] * m[wr + kx];
      }}
    }}
  }}
  {bias}
  m[{y} + i] = s;
",
        x = off(l, k.x)?,
        w = off(l, k.w)?,
        y = off(l, k.y)?,
        cg = u(e.cg)?,
        kh = u(g.kh)?,
        kw = u(g.kw)?,
        h = u(g.h)?,
        w_ = u(g.w)?,
    );
    Ok(vec![per_elem(step, e.y_len, "", &fill(&body, g, &e)?)?])
}

/// [`ConvDxK`]: one thread per input element gathers `dy·w` over the outputs of its group
/// whose windows read it (output channels, then kernel rows, then columns, increasing).
pub fn conv_dx(step: usize, l: &Layout, k: &ConvDxK) -> Result<Vec<Launch>, String> {
    let g = &k.g;
    let e = geo(g)?;
    need(l, k.dy, e.y_len, "dy")?;
    need(l, k.w, e.w_len, "w")?;
    need(l, k.dx, e.x_len, "dx")?;
    if e.x_len == 0 {
        return Ok(Vec::new());
    }
    let d = format!("m[{} + i]", off(l, k.dx)?);
    // Tap ky of output row oy reads input row oy·sh + ky·dh − ph: input row iy is read by
    // output row (iy + ph − ky·dh) / sh when that divides exactly and is in range.
    let body = format!(
        "  let ix = i % WW_; var t = i / WW_; let iy = t % HH_; t = t / HH_;
  let ci = t % CC_; let img = t / CC_;
  let grp = ci / CG_; let c = ci % CG_;
  let ty = iy + PH_; let tx = ix + PW_;
  var s = 0.0;
  for (var oo = 0u; oo < {mg}; oo++) {{
    let o = grp * MG_ + oo;
    let db = {dy} + (img * MM_ + o) * OHW;
    let wb = {w} + (o * CG_ + c) * KHW;
    for (var ky = 0u; ky < {kh}; ky++) {{
      if (ty < ky * DH_) {{ break; }}
      let ry = ty - ky * DH_;
      let oy = ry / SH_;
      if (ry % SH_ != 0u || oy >= {oh}) {{ continue; }}
      for (var kx = 0u; kx < {kw}; kx++) {{
        if (tx < kx * DW_) {{ break; }}
        let rx = tx - kx * DW_;
        let ox = rx / SW_;
        if (rx % SW_ != 0u || ox >= {ow}) {{ continue; }}
        s = s + m[db + oy * OW_ + ox] * m[wb + ky * KW_ + kx];
      }}
    }}
  }}
  {st}
",
        dy = off(l, k.dy)?,
        w = off(l, k.w)?,
        mg = u(e.mg)?,
        kh = u(g.kh)?,
        kw = u(g.kw)?,
        oh = u(g.oh)?,
        ow = u(g.ow)?,
        st = store(&d, "s", k.acc),
    );
    Ok(vec![per_elem(step, e.x_len, "", &fill(&body, g, &e)?)?])
}

/// The module-level scratch and the tree sum of a workgroup's [`WG`] partial sums `s` into
/// `red[0]` (fixed order, so the result does not depend on scheduling).
fn reduce_helpers() -> String {
    format!("var<workgroup> red: array<f32, {WG}>;\n")
}

fn reduce_body() -> String {
    format!(
        "  red[li] = s;
  workgroupBarrier();
  for (var h = {half}u; h > 0u; h = h >> 1u) {{
    if (li < h) {{ red[li] = red[li] + red[li + h]; }}
    workgroupBarrier();
  }}
",
        half = WG / 2
    )
}

/// [`ConvDwK`]: one workgroup per weight element (its threads stride over images and output
/// positions), then one per bias element.
pub fn conv_dw(step: usize, l: &Layout, k: &ConvDwK) -> Result<Vec<Launch>, String> {
    let g = &k.g;
    let e = geo(g)?;
    need(l, k.dy, e.y_len, "dy")?;
    need(l, k.x, e.x_len, "x")?;
    // Positions each workgroup visits: every image's output plane.
    let npos = u(numel(&[g.n, g.oh, g.ow])?)?;
    let mut out = Vec::new();
    if let Some(dw) = k.dw {
        need(l, dw, e.w_len, "dw")?;
        let d = format!("m[{} + grp]", off(l, dw)?);
        let body = format!(
            "  let kx = grp % KW_; var t = grp / KW_; let ky = t % KH_; t = t / KH_;
  let c = t % CG_; let o = t / CG_;
  let xb = {x} + ((o / MG_) * CG_ + c) * HW_;
  let db = {dy} + o * OHW;
  var s = 0.0;
  for (var p = li; p < {npos}; p = p + {WG}u) {{
    let ox = p % OW_; let r = p / OW_; let oy = r % OH_; let img = r / OH_;
    let iy = oy * SH_ + ky * DH_; let ix = ox * SW_ + kx * DW_;
    if (iy < PH_ || iy - PH_ >= {h} || ix < PW_ || ix - PW_ >= {w_}) {{ continue; }}
    s = s + m[db + img * MM_ * OHW + oy * OW_ + ox] * m[xb + img * CC_ * HW_ + (iy - PH_) * WW_ + ix - PW_];
  }}
{red}  if (li == 0u) {{ {st} }}
",
            x = off(l, k.x)?,
            dy = off(l, k.dy)?,
            h = u(g.h)?,
            w_ = u(g.w)?,
            red = reduce_body(),
            st = store(&d, "red[0]", k.acc),
        );
        if e.w_len > 0 {
            out.push(per_group(step, e.w_len, &reduce_helpers(), &fill(&body, g, &e)?)?);
        }
    }
    if let Some(db) = k.db {
        need(l, db, g.m, "db")?;
        let d = format!("m[{} + grp]", off(l, db)?);
        let body = format!(
            "  var s = 0.0;
  for (var p = li; p < {npos}; p = p + {WG}u) {{
    s = s + m[{dy} + ((p / OHW) * MM_ + grp) * OHW + p % OHW];
  }}
{red}  if (li == 0u) {{ {st} }}
",
            dy = off(l, k.dy)?,
            red = reduce_body(),
            st = store(&d, "red[0]", k.acc),
        );
        if g.m > 0 {
            out.push(per_group(step, g.m, &reduce_helpers(), &fill(&body, g, &e)?)?);
        }
    }
    Ok(out)
}
