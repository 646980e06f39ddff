//! Sum and average pooling whose windows tile the plane (kernel = stride, no padding: the
//! 2×2/2 pool of every spiking CNN): each output reads `kh` whole input rows once, and in the
//! backward each input receives exactly one window's share, so both passes stream memory with
//! no tap lists and no zero fill. Results are bitwise those of the general path in
//! [`crate::pool`]: each window's taps are summed in f64, row-major.

use crate::pool::{divisor, PoolDims, PoolMode};

/// Whether `d` is a tiling this module handles for `mode`.
pub(crate) fn tiles(mode: PoolMode, d: &PoolDims) -> bool {
    mode != PoolMode::Max
        && d.kh == d.sh
        && d.kw == d.sw
        && d.ph == 0
        && d.pw == 0
        && d.oh * d.kh <= d.h
        && d.ow * d.kw <= d.w
}

/// One plane's forward: `yi[oy, ox]` = the window's sum over the divisor. `acc` is scratch of
/// at least `ow` elements.
pub(crate) fn forward(mode: PoolMode, d: &PoolDims, xi: &[f32], yi: &mut [f32], acc: &mut [f64]) {
    let div = divisor(mode, d, d.kh * d.kw);
    let acc = &mut acc[..d.ow];
    for (oy, yrow) in yi.chunks_exact_mut(d.ow).enumerate() {
        // −0 is the identity of f64 addition, as in `Iterator::sum`.
        acc.fill(-0.0);
        for ky in 0..d.kh {
            let row = &xi[(oy * d.kh + ky) * d.w..][..d.ow * d.kw];
            if d.kw == 2 {
                for (a, p) in acc.iter_mut().zip(row.chunks_exact(2)) {
                    *a = *a + f64::from(p[0]) + f64::from(p[1]);
                }
            } else {
                for (a, p) in acc.iter_mut().zip(row.chunks_exact(d.kw)) {
                    for &v in p {
                        *a += f64::from(v);
                    }
                }
            }
        }
        for (y, &a) in yrow.iter_mut().zip(acc.iter()) {
            *y = (a / div) as f32;
        }
    }
}

/// One plane's input gradient: every input of a window gets `dy / divisor` (added with `acc`);
/// the rows and columns past the last window (a floor-mode remainder) get 0.
pub(crate) fn backward(mode: PoolMode, d: &PoolDims, dyi: &[f32], dxi: &mut [f32], acc: bool) {
    let div = divisor(mode, d, d.kh * d.kw);
    let covered = d.ow * d.kw;
    for (iy, row) in dxi.chunks_exact_mut(d.w).enumerate() {
        let oy = iy / d.kh;
        if oy >= d.oh {
            if !acc {
                row.fill(0.0);
            }
            continue;
        }
        let dyrow = &dyi[oy * d.ow..][..d.ow];
        let (head, tail) = row.split_at_mut(covered);
        for (p, &g) in head.chunks_exact_mut(d.kw).zip(dyrow) {
            let share = (f64::from(g) / div) as f32;
            if acc {
                p.iter_mut().for_each(|v| *v += share);
            } else {
                p.fill(share);
            }
        }
        if !acc {
            tail.fill(0.0);
        }
    }
}
