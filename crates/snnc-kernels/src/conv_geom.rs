//! The geometry of a 2-D convolution ([`ConvDims`]), its checks, and the tap tables the
//! kernels share.

use crate::error::product;
use crate::KernelError;

/// A 2-D convolution over `n` images (a 1-D one is the 2-D one with height 1):
///
/// `y[i, o, oy, ox] = bias[o] + Σ_{c, ky, kx} x[i, g·cg + c, oy·sh − ph + ky·dh, ox·sw − pw +
/// kx·dw] · w[o, c, ky, kx]`
///
/// with `cg = c/group` input channels per group, g = o / (m/group), and taps outside the
/// input reading 0. Images are `[n, c, h, w]`, weights `[m, c/group, kh, kw]`, outputs `[n, m,
/// oh, ow]`, all row-major.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvDims {
    /// Images.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub m: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Vertical stride.
    pub sh: usize,
    /// Horizontal stride.
    pub sw: usize,
    /// Padding above.
    pub ph: usize,
    /// Padding left.
    pub pw: usize,
    /// Vertical tap spacing.
    pub dh: usize,
    /// Horizontal tap spacing.
    pub dw: usize,
    /// Channel groups.
    pub group: usize,
}

/// The sizes that follow from [`ConvDims`], checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConvSizes {
    /// Elements of one input image (`c·h·w`).
    pub x_img: usize,
    /// Elements of one output image (`m·oh·ow`).
    pub y_img: usize,
    /// Output pixels per channel (`oh·ow`).
    pub p: usize,
    /// Input channels per group.
    pub cg: usize,
    /// Output channels per group.
    pub mg: usize,
    /// Weights per output channel (`cg·kh·kw`): the rows of an image's im2col matrix per group.
    pub taps: usize,
}

impl ConvDims {
    /// Checks the geometry (no zero stride, dilation or group; channels multiples of `group`;
    /// no size overflow) and returns its sizes.
    pub(crate) fn sizes(&self) -> Result<ConvSizes, KernelError> {
        let bad = |m: String| Err(KernelError::Param(m));
        if self.sh == 0 || self.sw == 0 || self.dh == 0 || self.dw == 0 {
            return bad(format!("conv: zero stride or dilation in {self:?}"));
        }
        if self.group == 0
            || !self.c.is_multiple_of(self.group)
            || !self.m.is_multiple_of(self.group)
        {
            return bad(format!(
                "conv: channels {} → {} do not split into {} groups",
                self.c, self.m, self.group
            ));
        }
        // Every index the kernels form is below one of these (or an image count times them).
        product("conv x", &[self.n, self.c, self.h, self.w])?;
        product("conv y", &[self.n, self.m, self.oh, self.ow])?;
        product("conv w", &[self.m, self.c, self.kh, self.kw])?;
        let reach = |o: usize, s: usize, k: usize, d: usize, p: usize, len: usize| {
            o.checked_mul(s)
                .and_then(|a| k.saturating_sub(1).checked_mul(d).and_then(|b| a.checked_add(b)))
                .and_then(|a| a.checked_add(p))
                .and_then(|a| a.checked_add(len))
                .ok_or(KernelError::Overflow("conv window"))
        };
        reach(self.oh, self.sh, self.kh, self.dh, self.ph, self.h)?;
        reach(self.ow, self.sw, self.kw, self.dw, self.pw, self.w)?;
        let (cg, mg) = (self.c / self.group, self.m / self.group);
        Ok(ConvSizes {
            x_img: self.c * self.h * self.w,
            y_img: self.m * self.oh * self.ow,
            p: self.oh * self.ow,
            cg,
            mg,
            taps: cg * self.kh * self.kw,
        })
    }

    /// The input row that output row `oy` reads through kernel row `ky`, if inside.
    #[inline(always)]
    pub(crate) fn in_row(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy * self.sh + ky * self.dh).checked_sub(self.ph).filter(|&y| y < self.h)
    }

    /// The input column that output column `ox` reads through kernel column `kx`, if inside.
    #[inline(always)]
    pub(crate) fn in_col(&self, ox: usize, kx: usize) -> Option<usize> {
        (ox * self.sw + kx * self.dw).checked_sub(self.pw).filter(|&x| x < self.w)
    }

    /// The output columns `lo..hi` whose kernel column `kx` reads inside the input (an
    /// interval: the input column `ox·sw + kx·dw − pw` grows with `ox`).
    #[inline(always)]
    pub(crate) fn col_span(&self, kx: usize) -> (usize, usize) {
        let off = kx * self.dw;
        let lo = self.pw.saturating_sub(off).div_ceil(self.sw).min(self.ow);
        let hi = (self.w + self.pw).saturating_sub(off).div_ceil(self.sw).clamp(lo, self.ow);
        (lo, hi)
    }

    /// For each input row, the `(ky, oy)` pairs of output rows it reaches (the scatter's view
    /// of the window).
    pub(crate) fn rows_reached(&self) -> Vec<Vec<(usize, usize)>> {
        let mut t = vec![Vec::new(); self.h];
        for oy in 0..self.oh {
            for ky in 0..self.kh {
                if let Some(iy) = self.in_row(oy, ky) {
                    t[iy].push((ky, oy));
                }
            }
        }
        t
    }

    /// For each input column, the `(kx, ox)` pairs of output columns it reaches.
    pub(crate) fn cols_reached(&self) -> Vec<Vec<(usize, usize)>> {
        let mut t = vec![Vec::new(); self.w];
        for ox in 0..self.ow {
            for kx in 0..self.kw {
                if let Some(ix) = self.in_col(ox, kx) {
                    t[ix].push((kx, ox));
                }
            }
        }
        t
    }

    /// Writes the im2col matrix of group `g` of one image `x` (`[c, h, w]`) into `col`
    /// (`[cg·kh·kw, oh·ow]` with row stride `ld ≥ oh·ow`, so that several images can sit side
    /// by side; taps in the padding 0).
    pub(crate) fn im2col(&self, s: &ConvSizes, x: &[f32], g: usize, col: &mut [f32], ld: usize) {
        let (kh, kw, ow) = (self.kh, self.kw, self.ow);
        let same = self.sh == 1 && self.sw == 1 && ow == self.w;
        for cl in 0..s.cg {
            let plane = &x[(g * s.cg + cl) * self.h * self.w..][..self.h * self.w];
            for ky in 0..kh {
                for kx in 0..kw {
                    let row = &mut col[((cl * kh + ky) * kw + kx) * ld..][..s.p];
                    if same {
                        self.shifted_plane(plane, ky, kx, row);
                        continue;
                    }
                    for oy in 0..self.oh {
                        let out = &mut row[oy * ow..][..ow];
                        let Some(iy) = self.in_row(oy, ky) else {
                            out.fill(0.0);
                            continue;
                        };
                        let src = &plane[iy * self.w..][..self.w];
                        let (lo, hi) = self.col_span(kx);
                        out[..lo].fill(0.0);
                        out[hi..].fill(0.0);
                        if lo < hi {
                            // Input column of `lo`; inside by `col_span`.
                            let i0 = lo * self.sw + kx * self.dw - self.pw;
                            let out = &mut out[lo..hi];
                            if self.sw == 1 {
                                out.copy_from_slice(&src[i0..][..hi - lo]);
                            } else {
                                let src = src[i0..].iter().step_by(self.sw);
                                out.iter_mut().zip(src).for_each(|(o, &v)| *o = v);
                            }
                        }
                    }
                }
            }
        }
    }

    /// One im2col row of a stride-1 convolution whose output rows are as wide as the input's
    /// (`ow = w`): the plane shifted by tap (ky, kx). Consecutive output rows then read
    /// consecutive input rows at the same offset, so the rows inside the image are one copy;
    /// what that copy brings in from the next row (the columns the tap reads in the padding)
    /// and the rows in the padding are then zeroed.
    fn shifted_plane(&self, plane: &[f32], ky: usize, kx: usize, row: &mut [f32]) {
        let w = self.w;
        let off = ky * self.dh;
        let lo_y = self.ph.saturating_sub(off).min(self.oh);
        let hi_y = (self.h + self.ph).saturating_sub(off).clamp(lo_y, self.oh);
        let (lo, hi) = self.col_span(kx);
        row[..lo_y * w].fill(0.0);
        row[hi_y * w..].fill(0.0);
        if lo_y == hi_y || lo == hi {
            row[lo_y * w..hi_y * w].fill(0.0);
            return;
        }
        // Input row of `lo_y` and column of `lo`: inside by the spans.
        let (iy, ix) = (lo_y + off - self.ph, lo + kx * self.dw - self.pw);
        let len = (hi_y - lo_y - 1) * w + (hi - lo);
        row[lo_y * w + lo..][..len].copy_from_slice(&plane[iy * w + ix..][..len]);
        for oy in lo_y..hi_y {
            let r = &mut row[oy * w..][..w];
            r[..lo].fill(0.0);
            r[hi..].fill(0.0);
        }
    }

    /// Adds the im2col-shaped `col` (group `g`) back into image `dx` (`[c, h, w]`), dropping
    /// the taps in the padding.
    pub(crate) fn col2im_add(&self, s: &ConvSizes, col: &[f32], g: usize, dx: &mut [f32]) {
        let (kh, kw, ow) = (self.kh, self.kw, self.ow);
        for cl in 0..s.cg {
            let plane = &mut dx[(g * s.cg + cl) * self.h * self.w..][..self.h * self.w];
            for ky in 0..kh {
                for kx in 0..kw {
                    let row = &col[((cl * kh + ky) * kw + kx) * s.p..][..s.p];
                    for oy in 0..self.oh {
                        let Some(iy) = self.in_row(oy, ky) else { continue };
                        let dst = &mut plane[iy * self.w..][..self.w];
                        let (lo, hi) = self.col_span(kx);
                        if lo < hi {
                            let i0 = lo * self.sw + kx * self.dw - self.pw;
                            let src = &row[oy * ow + lo..][..hi - lo];
                            let dst = dst[i0..].iter_mut().step_by(self.sw);
                            dst.zip(src).for_each(|(a, &v)| *a += v);
                        }
                    }
                }
            }
        }
    }
}
