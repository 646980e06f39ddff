//! The event-driven convolution of one image: each nonzero input adds its value times the
//! kernel taps it meets into the outputs it reaches.

use crate::conv_geom::{ConvDims, ConvSizes};
use crate::simd::multiversion;

/// The weights as `[c, kh, kw, m/group]`: the weights out of one input tap to its group's
/// output channels are contiguous, so that a scatter is a short vector update.
pub(crate) fn pack_taps(d: &ConvDims, s: &ConvSizes, w: &[f32]) -> Vec<f32> {
    let mut wt = vec![0f32; d.c * d.kh * d.kw * s.mg];
    for o in 0..d.m {
        let (g, ol) = (o / s.mg, o % s.mg);
        for cl in 0..s.cg {
            for k in 0..d.kh * d.kw {
                let cin = g * s.cg + cl;
                wt[(cin * d.kh * d.kw + k) * s.mg + ol] = w[(o * s.cg + cl) * d.kh * d.kw + k];
            }
        }
    }
    wt
}

/// `(rows_reached, cols_reached)` of [`ConvDims`].
pub(crate) type Reach<'a> = (&'a [Vec<(usize, usize)>], &'a [Vec<(usize, usize)>]);

multiversion! {
    /// The scatter into `acc` (`[oh·ow, m]`, channels last so that one tap's update is
    /// contiguous), which must hold zeros.
    fn scatter(d: &ConvDims, mg: usize, x: &[f32], wt: &[f32], reach: Reach<'_>, acc: &mut [f32]) {
        let (rows, cols) = reach;
        let (h, w, kh, kw, m, ow) = (d.h, d.w, d.kh, d.kw, d.m, d.ow);
        let cg = d.c / d.group;
        for cin in 0..d.c {
            let o0 = (cin / cg) * mg;
            let plane = &x[cin * h * w..][..h * w];
            for (iy, rr) in rows.iter().enumerate() {
                if rr.is_empty() {
                    continue;
                }
                for (ix, &v) in plane[iy * w..][..w].iter().enumerate() {
                    if v == 0.0 {
                        continue;
                    }
                    for &(ky, oy) in rr {
                        for &(kx, ox) in &cols[ix] {
                            let src = &wt[((cin * kh + ky) * kw + kx) * mg..][..mg];
                            let dst = &mut acc[(oy * ow + ox) * m + o0..][..mg];
                            for (a, &wv) in dst.iter_mut().zip(src) {
                                *a += v * wv;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One image `x` (`[c, h, w]`) into `y` (`[m, oh, ow]`, overwritten) by scattering its
/// nonzero entries; `acc` is scratch.
#[allow(clippy::too_many_arguments)]
pub(crate) fn event_image(
    d: &ConvDims,
    s: &ConvSizes,
    x: &[f32],
    wt: &[f32],
    reach: Reach<'_>,
    bias: Option<&[f32]>,
    y: &mut [f32],
    acc: &mut Vec<f32>,
) {
    acc.clear();
    acc.resize(s.p * d.m, 0.0);
    scatter(d, s.mg, x, wt, reach, acc);
    for o in 0..d.m {
        let row = &mut y[o * s.p..][..s.p];
        match bias {
            Some(b) => {
                for (q, v) in row.iter_mut().enumerate() {
                    *v = acc[q * d.m + o] + b[o];
                }
            }
            None => {
                for (q, v) in row.iter_mut().enumerate() {
                    *v = acc[q * d.m + o];
                }
            }
        }
    }
}

multiversion! {
    /// The event-driven weight gradient of one image: each nonzero input `v` adds `v·dy` of
    /// the outputs it reached to the taps it met. `dyt` is the image's `dy` as `[oh·ow, m]` and
    /// `pdt` the partial sum in [`pack_taps`]'s layout `[c, kh, kw, m/group]`, so that one
    /// update is a contiguous vector of the group's output channels.
    pub(crate) fn gather_dw(d: &ConvDims, mg: usize, x: &[f32], dyt: &[f32], reach: Reach<'_>, pdt: &mut [f32]) {
        let (rows, cols) = reach;
        let (h, w, kh, kw, m, ow) = (d.h, d.w, d.kh, d.kw, d.m, d.ow);
        let cg = d.c / d.group;
        for cin in 0..d.c {
            let o0 = (cin / cg) * mg;
            let plane = &x[cin * h * w..][..h * w];
            for (iy, rr) in rows.iter().enumerate() {
                if rr.is_empty() {
                    continue;
                }
                for (ix, &v) in plane[iy * w..][..w].iter().enumerate() {
                    if v == 0.0 {
                        continue;
                    }
                    for &(ky, oy) in rr {
                        for &(kx, ox) in &cols[ix] {
                            let src = &dyt[(oy * ow + ox) * m + o0..][..mg];
                            let dst = &mut pdt[((cin * kh + ky) * kw + kx) * mg..][..mg];
                            for (a, &g) in dst.iter_mut().zip(src) {
                                *a += v * g;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Writes `dy` of one image (`[m, p]`) as `[p, m]` into `dyt`.
pub(crate) fn channels_last(dy: &[f32], m: usize, p: usize, dyt: &mut Vec<f32>) {
    dyt.clear();
    dyt.resize(m * p, 0.0);
    for (o, row) in dy.chunks_exact(p.max(1)).take(m).enumerate() {
        for (q, &v) in row.iter().enumerate() {
            dyt[q * m + o] = v;
        }
    }
}

/// Adds a partial weight gradient in [`pack_taps`]'s layout (`[c, kh, kw, m/group]`) to `dw`
/// (`[m, c/group, kh, kw]`).
pub(crate) fn unpack_taps_add(d: &ConvDims, s: &ConvSizes, pdt: &[f32], dw: &mut [f32]) {
    let k2 = d.kh * d.kw;
    for o in 0..d.m {
        let (g, ol) = (o / s.mg, o % s.mg);
        for cl in 0..s.cg {
            let cin = g * s.cg + cl;
            for k in 0..k2 {
                dw[(o * s.cg + cl) * k2 + k] += pdt[(cin * k2 + k) * s.mg + ol];
            }
        }
    }
}
