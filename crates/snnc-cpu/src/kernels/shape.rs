//! Data movement: Gather (and its scatter-add), Concat (and its slices), Transpose, copies.

use rayon::prelude::*;
use snnc_plan::{AddIntoK, ConcatK, GatherK, SliceK, TransposeK};

use crate::kernels::bcast::{extent, Walk};
use crate::kernels::{need, need_dims, numel};
use crate::store::Io;

/// Resolves the indices of a Gather against an axis of size `dim`.
fn resolve(idx: &[f32], dim: usize) -> Result<Vec<usize>, String> {
    idx.iter()
        .map(|&i| {
            let i = f64::from(i);
            let r = if i < 0.0 { i + dim as f64 } else { i };
            if r >= 0.0 && r < dim as f64 {
                Ok(r as usize)
            } else {
                Err(format!("index {i} is out of range for an axis of size {dim}"))
            }
        })
        .collect()
}

fn add_or_copy(dst: &mut [f32], src: &[f32], acc: bool) {
    if acc {
        dst.iter_mut().zip(src).for_each(|(d, &s)| *d += s);
    } else {
        dst.copy_from_slice(src);
    }
}

/// `dst[o, j, :] = src[o, idx[j], :]`.
pub(crate) fn gather(k: &GatherK, io: &mut Io) -> Result<(), String> {
    let (src, idx) = (io.r(k.src)?, io.r(k.indices)?);
    let dst = io.w(k.dst)?;
    need("indices", idx.len(), k.n_idx)?;
    need_dims("data", src.len(), &[k.outer, k.dim, k.inner])?;
    need_dims("result", dst.len(), &[k.outer, k.n_idx, k.inner])?;
    let idx = resolve(idx, k.dim)?;
    let inner = k.inner;
    for o in 0..k.outer {
        for (j, &i) in idx.iter().enumerate() {
            let s = (o * k.dim + i) * inner;
            let d = (o * k.n_idx + j) * inner;
            dst[d..d + inner].copy_from_slice(&src[s..s + inner]);
        }
    }
    Ok(())
}

/// `dst[o, idx[j], :] += src[o, j, :]` (dst zeroed first unless accumulating).
pub(crate) fn gather_back(k: &GatherK, io: &mut Io) -> Result<(), String> {
    let (src, idx) = (io.r(k.src)?, io.r(k.indices)?);
    let dst = io.w(k.dst)?;
    need("indices", idx.len(), k.n_idx)?;
    need_dims("gradient", src.len(), &[k.outer, k.n_idx, k.inner])?;
    need_dims("result", dst.len(), &[k.outer, k.dim, k.inner])?;
    let idx = resolve(idx, k.dim)?;
    if !k.acc {
        dst.fill(0.0);
    }
    let inner = k.inner;
    for o in 0..k.outer {
        for (j, &i) in idx.iter().enumerate() {
            let s = (o * k.n_idx + j) * inner;
            let d = (o * k.dim + i) * inner;
            add_or_copy(&mut dst[d..d + inner], &src[s..s + inner], true);
        }
    }
    Ok(())
}

/// Concatenation along an axis.
pub(crate) fn concat(k: &ConcatK, io: &mut Io) -> Result<(), String> {
    let parts =
        k.parts.iter().map(|&(b, d)| Ok((io.r(b)?, d))).collect::<Result<Vec<_>, String>>()?;
    let dst = io.w(k.dst)?;
    let total = parts.iter().try_fold(0usize, |a, p| a.checked_add(p.1)).ok_or("size overflows")?;
    need_dims("result", dst.len(), &[k.outer, total, k.inner])?;
    for (p, d) in &parts {
        need_dims("part", p.len(), &[k.outer, *d, k.inner])?;
    }
    for o in 0..k.outer {
        let mut at = o * total * k.inner;
        for (p, d) in &parts {
            let n = d * k.inner;
            dst[at..at + n].copy_from_slice(&p[o * n..(o + 1) * n]);
            at += n;
        }
    }
    Ok(())
}

/// `dst (+)= src[:, start..start + len, :]`.
pub(crate) fn slice(k: &SliceK, io: &mut Io) -> Result<(), String> {
    let src = io.r(k.src)?;
    let dst = io.w(k.dst)?;
    need_dims("source", src.len(), &[k.outer, k.src_dim, k.inner])?;
    need_dims("slice", dst.len(), &[k.outer, k.len, k.inner])?;
    if k.start.checked_add(k.len).is_none_or(|e| e > k.src_dim) {
        return Err("slice past the end of its axis (invalid plan)".into());
    }
    let n = k.len * k.inner;
    for o in 0..k.outer {
        let s = (o * k.src_dim + k.start) * k.inner;
        add_or_copy(&mut dst[o * n..(o + 1) * n], &src[s..s + n], k.acc);
    }
    Ok(())
}

/// `dst[:, start..start + len, :] (+)= src`, the rest of dst zeroed unless accumulating.
pub(crate) fn unslice(k: &SliceK, io: &mut Io) -> Result<(), String> {
    let src = io.r(k.src)?;
    let dst = io.w(k.dst)?;
    need_dims("slice", src.len(), &[k.outer, k.len, k.inner])?;
    need_dims("destination", dst.len(), &[k.outer, k.src_dim, k.inner])?;
    if k.start.checked_add(k.len).is_none_or(|e| e > k.src_dim) {
        return Err("slice past the end of its axis (invalid plan)".into());
    }
    if !k.acc {
        dst.fill(0.0);
    }
    let n = k.len * k.inner;
    for o in 0..k.outer {
        let d = (o * k.src_dim + k.start) * k.inner;
        add_or_copy(&mut dst[d..d + n], &src[o * n..(o + 1) * n], k.acc);
    }
    Ok(())
}

/// `dst (+)= transpose(src)`.
pub(crate) fn transpose(k: &TransposeK, io: &mut Io) -> Result<(), String> {
    let src = io.r(k.src)?;
    let dst = io.w(k.dst)?;
    let r = k.shape.len();
    let mut seen = vec![false; r];
    if k.perm.len() != r || k.perm.iter().any(|&p| p >= r || std::mem::replace(&mut seen[p], true))
    {
        return Err("bad permutation (invalid plan)".into());
    }
    let n = numel(&k.shape)?;
    need("source", src.len(), n)?;
    need("result", dst.len(), n)?;
    let mut st = vec![0; r];
    let mut s = 1;
    for d in (0..r).rev() {
        st[d] = s;
        s *= k.shape[d];
    }
    let out_shape: Vec<usize> = k.perm.iter().map(|&p| k.shape[p]).collect();
    let out_st: Vec<usize> = k.perm.iter().map(|&p| st[p]).collect();
    if extent(&out_shape, &out_st) > src.len() {
        return Err("transpose reaches past its source (invalid plan)".into());
    }
    // The trailing axes the permutation keeps in place are one contiguous block in both
    // layouts: the walk visits blocks, and each block is one copy.
    let kept = (0..r).rev().take_while(|&d| k.perm[d] == d).count();
    let inner: usize = k.shape[r - kept..].iter().product();
    let (outer_shape, outer_st) = (&out_shape[..r - kept], &out_st[..r - kept]);
    if n == 0 {
        return Ok(());
    }
    // Whole blocks per parallel task, at least TRANSPOSE_CHUNK elements.
    let per = TRANSPOSE_CHUNK.div_ceil(inner).max(1) * inner;
    let acc = k.acc;
    dst[..n].par_chunks_mut(per).enumerate().for_each(|(t, ds)| {
        let mut w = Walk::at(outer_shape, outer_st, t * (per / inner));
        for d in ds.chunks_exact_mut(inner) {
            add_or_copy(d, &src[w.off()..][..inner], acc);
            w.next();
        }
    });
    Ok(())
}

/// Elements per parallel task of [`transpose`].
const TRANSPOSE_CHUNK: usize = 1 << 15;

/// `dst (+)= src`.
pub(crate) fn add_into(k: &AddIntoK, io: &mut Io) -> Result<(), String> {
    let src = io.r(k.src)?;
    let dst = io.w(k.dst)?;
    need("source", src.len(), k.len)?;
    need("destination", dst.len(), k.len)?;
    add_or_copy(dst, src, k.acc);
    Ok(())
}
