//! Data movement: Gather and its scatter-add, Concat and its slices, Transpose, copies. One
//! thread per destination element, so no two threads write the same element.

use std::fmt::Write;

use snnc_plan::{AddIntoK, ConcatK, GatherK, SliceK, TransposeK};

use crate::layout::Layout;
use crate::wgsl::common::{off, per_elem, u};
use crate::wgsl::{need, numel, Launch, ERR_INDEX};

/// `fn idx(j) -> u32`: index `j` resolved against an axis of `dim` (negative from the end);
/// out of range fails the step.
fn idx_fn(l: &Layout, k: &GatherK) -> Result<String, String> {
    need(l, k.indices, k.n_idx, "indices")?;
    Ok(format!(
        "fn idx(j: u32) -> u32 {{
  let x = m[{io} + j];
  let r = select(x, x + {dim}, x < 0.0);
  if (!(r >= 0.0 && r < {dim})) {{ fail({ERR_INDEX}u); return 0u; }}
  return u32(r);
}}
",
        io = off(l, k.indices)?,
        dim = format!("{}.0", k.dim),
    ))
}

/// `dst[o, j, :] = src[o, idx[j], :]`.
pub fn gather(step: usize, l: &Layout, k: &GatherK) -> Result<Vec<Launch>, String> {
    need(l, k.src, k.outer * k.dim * k.inner, "data")?;
    let n = k.outer * k.n_idx * k.inner;
    need(l, k.dst, n, "result")?;
    let h = idx_fn(l, k)?;
    let body = format!(
        "  let c = i % {inner}; let j = (i / {inner}) % {ni}; let o = i / ({inner} * {ni});
  m[{dst} + i] = m[{src} + (o * {dim} + idx(j)) * {inner} + c];
",
        inner = u(k.inner.max(1))?,
        ni = u(k.n_idx.max(1))?,
        dim = u(k.dim)?,
        dst = off(l, k.dst)?,
        src = off(l, k.src)?,
    );
    Ok(vec![per_elem(step, n, &h, &body)?])
}

/// `dst[o, idx[j], :] += src[o, j, :]` (from zero unless accumulating), in increasing `j`.
pub fn gather_back(step: usize, l: &Layout, k: &GatherK) -> Result<Vec<Launch>, String> {
    need(l, k.src, k.outer * k.n_idx * k.inner, "gradient")?;
    let n = k.outer * k.dim * k.inner;
    need(l, k.dst, n, "result")?;
    let h = idx_fn(l, k)?;
    let d = format!("m[{} + i]", off(l, k.dst)?);
    let start = if k.acc { d.clone() } else { "0.0".into() };
    let body = format!(
        "  let c = i % {inner}; let a = (i / {inner}) % {dim}; let o = i / ({inner} * {dim});
  var v = {start};
  for (var j = 0u; j < {ni}; j++) {{
    if (idx(j) == a) {{ v = v + m[{src} + (o * {ni} + j) * {inner} + c]; }}
  }}
  {d} = v;
",
        inner = u(k.inner.max(1))?,
        dim = u(k.dim.max(1))?,
        ni = u(k.n_idx)?,
        src = off(l, k.src)?,
    );
    // Every index is checked even when the result is empty or an index is never matched.
    let body = if n == 0 { String::new() } else { body };
    let mut v = vec![per_elem(step, n, &h, &body)?];
    if k.n_idx > 0 {
        let check = "  _ = idx(i);\n";
        v.push(per_elem(step, k.n_idx, &h, check)?);
    }
    Ok(v)
}

/// Concatenation along an axis.
pub fn concat(step: usize, l: &Layout, k: &ConcatK) -> Result<Vec<Launch>, String> {
    let total: usize = k.parts.iter().map(|p| p.1).sum();
    let n = k.outer * total * k.inner;
    need(l, k.dst, n, "result")?;
    let mut body = format!(
        "  let c = i % {inner}; let a = (i / {inner}) % {total}; let o = i / ({inner} * {total});\n",
        inner = u(k.inner.max(1))?,
        total = u(total.max(1))?,
    );
    let mut start = 0usize;
    for &(b, d) in &k.parts {
        need(l, b, k.outer * d * k.inner, "part")?;
        let _ = writeln!(
            body,
            "  if (a >= {s} && a < {e}) {{ m[{dst} + i] = m[{src} + (o * {d} + (a - {s})) * {inner} + c]; }}",
            s = u(start)?,
            e = u(start + d)?,
            d = u(d)?,
            dst = off(l, k.dst)?,
            src = off(l, b)?,
            inner = u(k.inner)?,
        );
        start += d;
    }
    Ok(vec![per_elem(step, n, "", &body)?])
}

/// `dst (+)= src[:, start..start + len, :]`.
pub fn slice(step: usize, l: &Layout, k: &SliceK) -> Result<Vec<Launch>, String> {
    need(l, k.src, k.outer * k.src_dim * k.inner, "source")?;
    let n = k.outer * k.len * k.inner;
    need(l, k.dst, n, "slice")?;
    if k.start + k.len > k.src_dim {
        return Err("slice past the end of its axis (invalid plan)".into());
    }
    let d = format!("m[{} + i]", off(l, k.dst)?);
    let v = format!(
        "m[{src} + (o * {sd} + {st} + a) * {inner} + c]",
        src = off(l, k.src)?,
        sd = u(k.src_dim)?,
        st = u(k.start)?,
        inner = u(k.inner)?
    );
    let upd = if k.acc { format!("{d} = {d} + {v};") } else { format!("{d} = {v};") };
    let body = format!(
        "  let c = i % {inner}; let a = (i / {inner}) % {len}; let o = i / ({inner} * {len});\n  {upd}\n",
        inner = u(k.inner.max(1))?,
        len = u(k.len.max(1))?,
    );
    Ok(vec![per_elem(step, n, "", &body)?])
}

/// Slice's gradient: `dst[:, start..start + len, :] (+)= src`, the rest of dst zeroed unless
/// accumulating.
pub fn unslice(step: usize, l: &Layout, k: &SliceK) -> Result<Vec<Launch>, String> {
    let n = k.outer * k.src_dim * k.inner;
    need(l, k.src, k.outer * k.len * k.inner, "slice")?;
    need(l, k.dst, n, "destination")?;
    if k.start + k.len > k.src_dim {
        return Err("slice past the end of its axis (invalid plan)".into());
    }
    let d = format!("m[{} + i]", off(l, k.dst)?);
    let v = format!(
        "m[{src} + (o * {len} + a - {st}) * {inner} + c]",
        src = off(l, k.src)?,
        len = u(k.len)?,
        st = u(k.start)?,
        inner = u(k.inner.max(1))?
    );
    let (inside, outside) =
        if k.acc { (format!("{d} + {v}"), d.clone()) } else { (v, "0.0".to_string()) };
    let body = format!(
        "  let c = i % {inner}; let a = (i / {inner}) % {sd}; let o = i / ({inner} * {sd});\n  \
         if (a >= {st} && a < {end}) {{ {d} = {inside}; }} else {{ {d} = {outside}; }}\n",
        inner = u(k.inner.max(1))?,
        sd = u(k.src_dim.max(1))?,
        st = u(k.start)?,
        end = u(k.start + k.len)?,
    );
    Ok(vec![per_elem(step, n, "", &body)?])
}

/// `dst (+)= transpose(src, perm)`.
pub fn transpose(step: usize, l: &Layout, k: &TransposeK) -> Result<Vec<Launch>, String> {
    let r = k.shape.len();
    let mut seen = vec![false; r];
    if k.perm.len() != r || k.perm.iter().any(|&p| p >= r || std::mem::replace(&mut seen[p], true))
    {
        return Err("bad permutation (invalid plan)".into());
    }
    let n = numel(&k.shape)?;
    need(l, k.src, n, "source")?;
    need(l, k.dst, n, "result")?;
    let mut st = vec![0; r];
    let mut s = 1;
    for d in (0..r).rev() {
        st[d] = s;
        s *= k.shape[d];
    }
    let mut body = String::from("  var rem = i; var so = 0u;\n");
    for d in (0..r).rev() {
        let size = k.shape[k.perm[d]];
        let _ = writeln!(
            body,
            "  so = so + (rem % {sz}) * {st}; rem = rem / {sz};",
            sz = u(size.max(1))?,
            st = u(st[k.perm[d]])?
        );
    }
    let d = format!("m[{} + i]", off(l, k.dst)?);
    let v = format!("m[{} + so]", off(l, k.src)?);
    let _ = writeln!(
        body,
        "  {}",
        if k.acc { format!("{d} = {d} + {v};") } else { format!("{d} = {v};") }
    );
    Ok(vec![per_elem(step, n, "", &body)?])
}

/// `dst (+)= src`.
pub fn add_into(step: usize, l: &Layout, k: &AddIntoK) -> Result<Vec<Launch>, String> {
    need(l, k.src, k.len, "source")?;
    need(l, k.dst, k.len, "destination")?;
    let d = format!("m[{} + i]", off(l, k.dst)?);
    let v = format!("m[{} + i]", off(l, k.src)?);
    let body = if k.acc { format!("  {d} = {d} + {v};\n") } else { format!("  {d} = {v};\n") };
    Ok(vec![per_elem(step, k.len, "", &body)?])
}
