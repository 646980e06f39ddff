//! Matrix products, Gemm's epilogue, linear layers (event-driven on 0/1 inputs), their weight
//! and bias gradients. One thread per output element; sums run over the inner dimension in
//! increasing order, in f32 like the CPU engine's.

use std::fmt::Write;

use snnc_plan::{BiasK, LinearK, MmK, SpikeDwK, SpikeSrc, SumRowsK};

use crate::layout::Layout;
use crate::wgsl::common::{bits_at, f, off, per_elem, u};
use crate::wgsl::{need, Launch};

/// The C range `[start, end)` an entry of a product writes.
fn c_range(k: &MmK, c_off: usize) -> (usize, usize) {
    let end = if k.m == 0 || k.n == 0 { c_off } else { c_off + (k.m - 1) * k.c_rs + k.n };
    (c_off, end)
}

/// `C (+)= alpha·A·B` for every entry: one launch for all entries when their C ranges are
/// disjoint, else one launch per entry in order (later entries accumulate onto earlier ones).
pub fn mm(step: usize, l: &Layout, k: &MmK) -> Result<Vec<Launch>, String> {
    let mut ranges: Vec<(usize, usize)> = k.entries.iter().map(|e| c_range(k, e.c_off)).collect();
    for e in &k.entries {
        let last = |rows: usize, cols: usize, rs: usize, cs: usize, o: usize| {
            if rows == 0 || cols == 0 {
                0
            } else {
                o + (rows - 1) * rs + (cols - 1) * cs + 1
            }
        };
        if last(k.m, k.k, k.a.rs, k.a.cs, e.a_off) > l.len(k.a.buf)?
            || last(k.k, k.n, k.b.rs, k.b.cs, e.b_off) > l.len(k.b.buf)?
            || c_range(k, e.c_off).1 > l.len(k.c)?
        {
            return Err("a product reaches past its buffers (invalid plan)".into());
        }
    }
    ranges.sort();
    let disjoint = ranges.windows(2).all(|w| w[0].1 <= w[1].0);
    let groups: Vec<Vec<usize>> = if disjoint {
        vec![(0..k.entries.len()).collect()]
    } else {
        (0..k.entries.len()).map(|i| vec![i]).collect()
    };
    let (a, b, c) = (off(l, k.a.buf)?, off(l, k.b.buf)?, off(l, k.c)?);
    let mut out = Vec::new();
    for g in groups {
        if g.is_empty() {
            continue;
        }
        let list = |f: &dyn Fn(usize) -> usize| -> Result<String, String> {
            g.iter().map(|&i| u(f(i))).collect::<Result<Vec<_>, _>>().map(|v| v.join(", "))
        };
        let e = g.len();
        let mut h = String::new();
        let _ = writeln!(
            h,
            "var<private> AO: array<u32, {e}> = array<u32, {e}>({});",
            list(&|i| k.entries[i].a_off)?
        );
        let _ = writeln!(
            h,
            "var<private> BO: array<u32, {e}> = array<u32, {e}>({});",
            list(&|i| k.entries[i].b_off)?
        );
        let _ = writeln!(
            h,
            "var<private> CO: array<u32, {e}> = array<u32, {e}>({});",
            list(&|i| k.entries[i].c_off)?
        );
        let _ = writeln!(
            h,
            "var<private> ACC: array<u32, {e}> = array<u32, {e}>({});",
            list(&|i| usize::from(k.entries[i].acc))?
        );
        let mn = k.m * k.n;
        let scale = if k.alpha == 1.0 { "s".to_string() } else { format!("{} * s", f(k.alpha)) };
        let body = format!(
            "  let e = i / {mn}; let rem = i % {mn}; let r = rem / {n}; let c = rem % {n};
  let ab = {a} + AO[e] + r * {ars}; let bb = {b} + BO[e] + c * {bcs};
  var s = 0.0;
  for (var p = 0u; p < {kk}; p++) {{ s += m[ab + p * {acs}] * m[bb + p * {brs}]; }}
  let v = {scale};
  let ci = {c} + CO[e] + r * {crs} + c;
  if (ACC[e] != 0u) {{ m[ci] = m[ci] + v; }} else {{ m[ci] = v; }}
",
            mn = u(mn.max(1))?,
            n = u(k.n.max(1))?,
            ars = u(k.a.rs)?,
            acs = u(k.a.cs)?,
            brs = u(k.b.rs)?,
            bcs = u(k.b.cs)?,
            crs = u(k.c_rs)?,
            kk = u(k.k)?,
        );
        out.push(per_elem(step, e * mn, &h, &body)?);
    }
    Ok(out)
}

/// `y = alpha·y + beta·C`.
pub fn bias(step: usize, l: &Layout, k: &BiasK) -> Result<Vec<Launch>, String> {
    let n = k.rows * k.cols;
    need(l, k.y, n, "y")?;
    let cv = match k.c {
        Some(c) => {
            if n > 0 {
                let last = (k.rows - 1) * k.c_rs + (k.cols - 1) * k.c_cs;
                if last >= l.len(c)? {
                    return Err("C is too short for its strides (invalid plan)".into());
                }
            }
            format!(
                "{} * m[{} + (i / {cols}) * {} + (i % {cols}) * {}]",
                f(k.beta),
                off(l, c)?,
                u(k.c_rs)?,
                u(k.c_cs)?,
                cols = u(k.cols.max(1))?
            )
        }
        None => "0.0".into(),
    };
    let y = format!("m[{} + i]", off(l, k.y)?);
    let upd =
        if k.alpha == 1.0 { format!("{y} + cv") } else { format!("{} * {y} + cv", f(k.alpha)) };
    let body = format!("  let cv = {cv};\n  {y} = {upd};\n");
    Ok(vec![per_elem(step, n, "", &body)?])
}

/// `y = x·op(W) + bias`; with `event`, inactive (zero) inputs are skipped.
pub fn linear(step: usize, l: &Layout, k: &LinearK) -> Result<Vec<Launch>, String> {
    need(l, k.x, k.rows * k.k, "x")?;
    need(l, k.w, k.k * k.n, "w")?;
    need(l, k.y, k.rows * k.n, "y")?;
    if let Some(b) = k.bias {
        need(l, b, k.n, "bias")?;
    }
    let (wr, wc) = if k.trans_b { (1, k.k) } else { (k.n, 1) };
    let term = if k.event.is_some() {
        "let xv = m[xb + p]; if (xv != 0.0) { s += xv * m[wb + p * WR]; }"
    } else {
        "s += m[xb + p] * m[wb + p * WR];"
    }
    .replace("WR", &u(wr)?);
    let bias = match k.bias {
        Some(b) => format!("s = s + m[{} + c];", off(l, b)?),
        None => String::new(),
    };
    let body = format!(
        "  let r = i / {n}; let c = i % {n};
  let xb = {x} + r * {kk}; let wb = {w} + c * {wc};
  var s = 0.0;
  for (var p = 0u; p < {kk}; p++) {{ {term} }}
  {bias}
  m[{y} + i] = s;
",
        n = u(k.n.max(1))?,
        kk = u(k.k)?,
        x = off(l, k.x)?,
        w = off(l, k.w)?,
        wc = u(wc)?,
        y = off(l, k.y)?,
    );
    Ok(vec![per_elem(step, k.rows * k.n, "", &body)?])
}

/// `dW (+)= gᵀ·x`, event-driven over the set bits (or the nonzero inputs).
pub fn spike_dw(step: usize, l: &Layout, k: &SpikeDwK) -> Result<Vec<Launch>, String> {
    need(l, k.g, k.rows * k.n, "g")?;
    need(l, k.dw, k.n * k.k, "dw")?;
    let g = off(l, k.g)?;
    let term = match k.x {
        SpikeSrc::Bits(b) => {
            let (bo, wpr) = bits_at(l, b)?;
            let (_, words) = l.bits_range(b)?;
            if words < k.rows * wpr || wpr * 32 < k.k {
                return Err("spike bits are too small for the layer (invalid plan)".into());
            }
            format!(
                "let w = atomicLoad(&bits[{bo} + r * {wpr} + (ii >> 5u)]);
    if (((w >> (ii & 31u)) & 1u) != 0u) {{ s += m[{g} + r * {n} + o]; }}",
                wpr = u(wpr)?,
                n = u(k.n)?
            )
        }
        SpikeSrc::Dense(b) => {
            need(l, b, k.rows * k.k, "x")?;
            format!(
                "let xv = m[{} + r * {kk} + ii]; if (xv != 0.0) {{ s += m[{g} + r * {n} + o] * xv; }}",
                off(l, b)?,
                kk = u(k.k)?,
                n = u(k.n)?
            )
        }
    };
    // Thread i owns dW[o, ii] (layout [n, k]) or dW[ii, o] (layout [k, n]).
    let (o, ii) = if k.trans_b {
        (format!("i / {}", u(k.k.max(1))?), format!("i % {}", u(k.k.max(1))?))
    } else {
        (format!("i % {}", u(k.n.max(1))?), format!("i / {}", u(k.n.max(1))?))
    };
    let d = format!("m[{} + i]", off(l, k.dw)?);
    let store = if k.acc { format!("{d} = {d} + s;") } else { format!("{d} = s;") };
    let body = format!(
        "  let o = {o}; let ii = {ii};
  var s = 0.0;
  for (var r = 0u; r < {rows}; r++) {{
    {term}
  }}
  {store}
",
        rows = u(k.rows)?
    );
    Ok(vec![per_elem(step, k.n * k.k, "", &body)?])
}

/// `dst[c] (+)= Σ_r g[r, c]`.
pub fn sum_rows(step: usize, l: &Layout, k: &SumRowsK) -> Result<Vec<Launch>, String> {
    need(l, k.g, k.rows * k.cols, "g")?;
    need(l, k.dst, k.cols, "dst")?;
    let d = format!("m[{} + i]", off(l, k.dst)?);
    let start = if k.acc { d.clone() } else { "0.0".into() };
    let body = format!(
        "  var s = 0.0;
  for (var r = 0u; r < {rows}; r++) {{ s += m[{g} + r * {cols} + i]; }}
  {d} = {start} + s;
",
        rows = u(k.rows)?,
        g = off(l, k.g)?,
        cols = u(k.cols)?
    );
    Ok(vec![per_elem(step, k.cols, "", &body)?])
}
