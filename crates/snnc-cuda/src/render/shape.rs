//! Data movement: Gather and its scatter-add, Concat and its slices, Transpose, copies. One
//! thread per destination element, so no two threads write the same element and sums keep the
//! CPU engine's order.

use snnc_plan::{AddIntoK, ConcatK, GatherK, SliceK, TransposeK};

use super::ew::{offset, split_index};
use super::prelude::ERR_INDEX;
use super::source::{err, grid1, Kb, Launch, Out, BLOCK};
use crate::CudaError;

/// Resolves index `raw` (an f32 holding an integer) against an axis of size `dim`.
fn resolve(dim: usize, step: usize) -> String {
    format!(
        "__device__ __forceinline__ i64 snnc_s{step:04}_idx(float raw, int* err) {{\n\
         \x20   double i = (double)raw;\n\
         \x20   double r = i < 0.0 ? i + {dim}.0 : i;\n\
         \x20   if (!(r >= 0.0 && r < {dim}.0)) {{ SNNC_FAIL({ERR_INDEX}, {step}); return -1; }}\n\
         \x20   return (i64)r;\n\
         }}\n"
    )
}

/// [`GatherK`] forward: `dst[o, j, :] = src[o, idx[j], :]`.
pub(crate) fn gather(out: &mut Out<'_>, k: &GatherK) -> Result<Vec<Launch>, CudaError> {
    let total = k.outer * k.n_idx * k.inner;
    if total == 0 {
        return Ok(Vec::new());
    }
    let step = out.step;
    out.code.push_str(&resolve(k.dim, step));
    let mut kb = Kb::new(step, "gather");
    kb.read("src", k.src);
    kb.read("idx", k.indices);
    kb.write("dst", k.dst);
    kb.err();
    let (inner, n_idx, dim) = (k.inner, k.n_idx, k.dim);
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       const i64 in = e % {inner}LL, j = (e / {inner}LL) % {n_idx}LL, o = e / ({inner}LL * {n_idx}LL);\n\
         \x20       const i64 i = snnc_s{step:04}_idx(idx[j], err);\n\
         \x20       if (i >= 0) dst[e] = src[(o * {dim}LL + i) * {inner}LL + in];\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// [`GatherK`] backward: `dst[o, i, :] (+)= Σ_{j : idx[j] = i} src[o, j, :]`, in increasing `j`.
pub(crate) fn gather_back(out: &mut Out<'_>, k: &GatherK) -> Result<Vec<Launch>, CudaError> {
    let total = k.outer * k.dim * k.inner;
    if total == 0 {
        return Ok(Vec::new());
    }
    let step = out.step;
    out.code.push_str(&resolve(k.dim, step));
    let mut kb = Kb::new(step, "gather_back");
    kb.read("src", k.src);
    kb.read("idx", k.indices);
    kb.write("dst", k.dst);
    kb.err();
    let (inner, n_idx, dim) = (k.inner, k.n_idx, k.dim);
    let init = if k.acc { "dst[e]" } else { "0.0f" };
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       const i64 in = e % {inner}LL, i = (e / {inner}LL) % {dim}LL, o = e / ({inner}LL * {dim}LL);\n\
         \x20       float acc = {init};\n\
         \x20       for (i64 j = 0; j < {n_idx}LL; ++j) {{\n\
         \x20           if (snnc_s{step:04}_idx(idx[j], err) == i) acc += src[(o * {n_idx}LL + j) * {inner}LL + in];\n\
         \x20       }}\n\
         \x20       dst[e] = acc;\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// [`ConcatK`]: parts `[outer, d_i, inner]` into `[outer, Σ d_i, inner]`.
pub(crate) fn concat(out: &mut Out<'_>, k: &ConcatK) -> Result<Vec<Launch>, CudaError> {
    let axis: usize = k.parts.iter().map(|p| p.1).sum();
    let total = k.outer * axis * k.inner;
    if total == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(out.step, "concat");
    let mut chain = String::new();
    let mut start = 0usize;
    for (i, &(b, d)) in k.parts.iter().enumerate() {
        kb.read(&format!("p{i}"), b);
        if d == 0 {
            continue;
        }
        chain.push_str(&format!(
            "        {}if (c < {end}LL) v = p{i}[(o * {d}LL + (c - {start}LL)) * {inner}LL + in];\n",
            if start == 0 { "" } else { "else " },
            end = start + d,
            inner = k.inner,
        ));
        start += d;
    }
    kb.write("dst", k.dst);
    let inner = k.inner;
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       const i64 in = e % {inner}LL, c = (e / {inner}LL) % {axis}LL, o = e / ({inner}LL * {axis}LL);\n\
         \x20       float v = 0.0f;\n\
         {chain}\
         \x20       dst[e] = v;\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// [`SliceK`]: `dst (+)= src[:, start..start + len, :]`.
pub(crate) fn slice(out: &mut Out<'_>, k: &SliceK) -> Result<Vec<Launch>, CudaError> {
    let total = k.outer * k.len * k.inner;
    if total == 0 {
        return Ok(Vec::new());
    }
    if k.start + k.len > k.src_dim {
        return Err(err(out.step, "slice", "slice past the end of its axis (invalid plan)"));
    }
    let mut kb = Kb::new(out.step, "slice");
    kb.read("src", k.src);
    kb.write("dst", k.dst);
    let (inner, len, src_dim, start) = (k.inner, k.len, k.src_dim, k.start);
    let v = format!("src[(o * {src_dim}LL + {start}LL + c) * {inner}LL + in]");
    let update = if k.acc { format!("dst[e] + {v}") } else { v };
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       const i64 in = e % {inner}LL, c = (e / {inner}LL) % {len}LL, o = e / ({inner}LL * {len}LL);\n\
         \x20       dst[e] = {update};\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// [`SliceK`] as Slice's gradient: `dst[:, start..start + len, :] (+)= src`, the rest of dst
/// zeroed unless accumulating.
pub(crate) fn unslice(out: &mut Out<'_>, k: &SliceK) -> Result<Vec<Launch>, CudaError> {
    let total = k.outer * k.src_dim * k.inner;
    if total == 0 {
        return Ok(Vec::new());
    }
    if k.start + k.len > k.src_dim {
        return Err(err(out.step, "unslice", "slice past the end of its axis (invalid plan)"));
    }
    let mut kb = Kb::new(out.step, "unslice");
    kb.read("src", k.src);
    kb.write("dst", k.dst);
    let (inner, len, src_dim, start) = (k.inner.max(1), k.len, k.src_dim, k.start);
    let v = format!("src[(o * {len}LL + c - {start}LL) * {inner}LL + in]");
    let (inside, outside) =
        if k.acc { (format!("dst[e] + {v}"), "dst[e]".to_string()) } else { (v, "0.0f".into()) };
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       const i64 in = e % {inner}LL, c = (e / {inner}LL) % {src_dim}LL, o = e / ({inner}LL * {src_dim}LL);\n\
         \x20       dst[e] = (c >= {start}LL && c < {start}LL + {len}LL) ? {inside} : {outside};\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// [`TransposeK`]: `dst (+)= transpose(src, perm)`.
pub(crate) fn transpose(out: &mut Out<'_>, k: &TransposeK) -> Result<Vec<Launch>, CudaError> {
    let total: usize = k.shape.iter().product();
    if total == 0 {
        return Ok(Vec::new());
    }
    let r = k.shape.len();
    let mut seen = vec![false; r];
    if k.perm.len() != r || k.perm.iter().any(|&p| p >= r || std::mem::replace(&mut seen[p], true))
    {
        return Err(err(out.step, "transpose", "bad permutation (invalid plan)"));
    }
    let mut st = vec![0; r];
    let mut s = 1;
    for d in (0..r).rev() {
        st[d] = s;
        s *= k.shape[d];
    }
    let out_shape: Vec<usize> = k.perm.iter().map(|&p| k.shape[p]).collect();
    let out_st: Vec<usize> = k.perm.iter().map(|&p| st[p]).collect();
    let mut kb = Kb::new(out.step, "transpose");
    kb.read("src", k.src);
    kb.write("dst", k.dst);
    let v = format!("src[{}]", offset(&out_st, "i"));
    let update = if k.acc { format!("dst[e] + {v}") } else { v };
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         {split}\
         \x20       dst[e] = {update};\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
        split = split_index(&out_shape, "e", "i").replace("            ", "        "),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// [`AddIntoK`]: `dst (+)= src`.
pub(crate) fn add_into(out: &mut Out<'_>, k: &AddIntoK) -> Result<Vec<Launch>, CudaError> {
    if k.len == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(out.step, "add_into");
    kb.read("src", k.src);
    kb.write("dst", k.dst);
    let update = if k.acc { "dst[e] + src[e]" } else { "src[e]" };
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {len}LL) dst[e] = {update};\n\
         }}",
        sig = kb.signature(BLOCK),
        len = k.len,
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(k.len), [BLOCK, 1, 1], 0)])
}
