//! The event-driven convolution of one image: each nonzero input adds its value times the
//! kernel taps it meets into the outputs it reaches.

use crate::conv_geom::{ConvDims, ConvSizes};
use crate::simd::multiversion;
use crate::transpose8::transpose_add;

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

/// Where the events of one input plane go: for each input position `iy·w + ix`, the
/// `(q·m, k·mg)` offsets of every output pixel `q = oy·ow + ox` it reaches (into a
/// channels-last `[oh·ow, m]` buffer) and of the kernel tap `k = ky·kw + kx` it meets there
/// (into one input channel's block of [`pack_taps`]'s layout), in `(ky, kx)` order. Built once
/// per call, so the per-event work is a walk over a contiguous list.
pub(crate) struct EventTaps {
    /// Entries of position `i`: `ent[start[i]..start[i + 1]]`.
    start: Vec<usize>,
    ent: Vec<(usize, usize)>,
}

impl EventTaps {
    /// The table of `d` with `mg` output channels per group.
    pub(crate) fn new(d: &ConvDims, mg: usize) -> Self {
        let (rows, cols) = (d.rows_reached(), d.cols_reached());
        let mut start = Vec::with_capacity(d.h * d.w + 1);
        let mut ent = Vec::new();
        start.push(0);
        for rr in &rows {
            for cc in &cols {
                for &(ky, oy) in rr {
                    for &(kx, ox) in cc {
                        ent.push(((oy * d.ow + ox) * d.m, (ky * d.kw + kx) * mg));
                    }
                }
                start.push(ent.len());
            }
        }
        Self { start, ent }
    }

    /// The entries of input position `i`.
    #[inline(always)]
    fn at(&self, i: usize) -> &[(usize, usize)] {
        &self.ent[self.start[i]..self.start[i + 1]]
    }
}

/// `dst[..l] += v · src[..l]`; with `l` a constant after inlining, a fixed-length loop LLVM
/// turns into whole vector registers.
#[inline(always)]
fn axpy(dst: &mut [f32], src: &[f32], v: f32, l: usize) {
    for (a, &b) in dst[..l].iter_mut().zip(&src[..l]) {
        *a += v * b;
    }
}

/// Calls `$f(lanes)` with `lanes` a literal for the common group widths (so the vector loop
/// has a fixed length) and the runtime width otherwise.
macro_rules! by_width {
    ($mg:expr, $f:expr) => {
        match $mg {
            4 => $f(4),
            8 => $f(8),
            16 => $f(16),
            32 => $f(32),
            64 => $f(64),
            n => $f(n),
        }
    };
}

/// Writes the positions of the nonzero entries of `plane` to the front of `nz` (at least as
/// long as `plane`) and returns how many there are. Sixteen entries at a time: one compare
/// gives their mask, and only its set bits are visited (at spike densities most blocks hold
/// none or one, and a branch per entry would mispredict on most events).
#[inline(always)]
fn nonzeros(plane: &[f32], nz: &mut [usize]) -> usize {
    let mut n = 0;
    let blocks = plane.chunks_exact(16);
    let tail = plane.len() - blocks.remainder().len();
    for (b, blk) in blocks.enumerate() {
        let mut mask = 0u32;
        for (j, &v) in blk.iter().enumerate() {
            mask |= u32::from(v != 0.0) << j;
        }
        while mask != 0 {
            nz[n] = 16 * b + mask.trailing_zeros() as usize;
            n += 1;
            mask &= mask - 1;
        }
    }
    for (i, &v) in plane.iter().enumerate().skip(tail) {
        // `n ≤ i` here, so the store stays inside `nz`.
        nz[n] = i;
        n += usize::from(v != 0.0);
    }
    n
}

/// The scatter into `acc` (`[oh·ow, m]`), in input order, with `l = mg` channels per group.
#[inline(always)]
fn scatter_l(
    d: &ConvDims,
    l: usize,
    x: &[f32],
    wt: &[f32],
    taps: &EventTaps,
    acc: &mut [f32],
    nz: &mut [usize],
) {
    let (hw, k2l, cg) = (d.h * d.w, d.kh * d.kw * l, d.c / d.group);
    for cin in 0..d.c {
        let o0 = (cin / cg) * l;
        let wc = &wt[cin * k2l..][..k2l];
        let acc = &mut acc[o0..];
        let plane = &x[cin * hw..][..hw];
        let n = nonzeros(plane, nz);
        for &i in &nz[..n] {
            let v = plane[i];
            for &(qo, ko) in taps.at(i) {
                axpy(&mut acc[qo..], &wc[ko..], v, l);
            }
        }
    }
}

multiversion! {
    /// The scatter into `acc` (`[oh·ow, m]`, channels last so that one tap's update is
    /// contiguous), which must hold zeros.
    fn scatter(d: &ConvDims, mg: usize, x: &[f32], wt: &[f32], taps: &EventTaps, acc: &mut [f32], nz: &mut [usize]) {
        by_width!(mg, |l| scatter_l(d, l, x, wt, taps, acc, nz))
    }
}

/// One image `x` (`[c, h, w]`) into `y` (`[m, oh, ow]`, overwritten) by scattering its
/// nonzero entries; `acc` and `nz` are scratch.
#[allow(clippy::too_many_arguments)]
pub(crate) fn event_image(
    d: &ConvDims,
    s: &ConvSizes,
    x: &[f32],
    wt: &[f32],
    taps: &EventTaps,
    bias: Option<&[f32]>,
    y: &mut [f32],
    acc: &mut Vec<f32>,
    nz: &mut Vec<usize>,
) {
    acc.clear();
    acc.resize(s.p * d.m, 0.0);
    nz.resize(d.h * d.w, 0);
    scatter(d, s.mg, x, wt, taps, acc, nz);
    // y [m, p] = accᵀ + bias.
    transpose_add(acc, s.p, d.m, bias, y);
}

/// The event-driven weight gradient of one image with `l = mg` channels per group.
#[inline(always)]
fn gather_dw_l(
    d: &ConvDims,
    l: usize,
    x: &[f32],
    dyt: &[f32],
    taps: &EventTaps,
    pdt: &mut [f32],
    nz: &mut [usize],
) {
    let (hw, k2l, cg) = (d.h * d.w, d.kh * d.kw * l, d.c / d.group);
    for cin in 0..d.c {
        let o0 = (cin / cg) * l;
        let pc = &mut pdt[cin * k2l..][..k2l];
        let dyt = &dyt[o0..];
        let plane = &x[cin * hw..][..hw];
        let n = nonzeros(plane, nz);
        for &i in &nz[..n] {
            let v = plane[i];
            for &(qo, ko) in taps.at(i) {
                axpy(&mut pc[ko..], &dyt[qo..], v, l);
            }
        }
    }
}

multiversion! {
    /// The event-driven weight gradient of one image: each nonzero input `v` adds `v·dy` of
    /// the outputs it reached to the taps it met. `dyt` is the image's `dy` as `[oh·ow, m]` and
    /// `pdt` the partial sum in [`pack_taps`]'s layout `[c, kh, kw, m/group]`, so that one
    /// update is a contiguous vector of the group's output channels. `nz` is scratch, at
    /// least `h·w` long.
    pub(crate) fn gather_dw(d: &ConvDims, mg: usize, x: &[f32], dyt: &[f32], taps: &EventTaps, pdt: &mut [f32], nz: &mut [usize]) {
        by_width!(mg, |l| gather_dw_l(d, l, x, dyt, taps, pdt, nz))
    }
}

/// Writes `dy` of one image (`[m, p]`) as `[p, m]` into `dyt`.
pub(crate) fn channels_last(dy: &[f32], m: usize, p: usize, dyt: &mut Vec<f32>) {
    dyt.clear();
    dyt.resize(m * p, 0.0);
    transpose_add(dy, m, p, None, dyt);
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
