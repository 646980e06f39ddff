//! 2-D pooling over planes (sum, average with or without the padding, max), forward and the
//! input gradient, parallel over planes. Sums are accumulated in f64 and rounded once, as the
//! reference interpreter does.

use rayon::prelude::*;

use crate::error::{check_len, product};
use crate::{KernelError, Threads};

/// Planes per parallel task.
const PLANES: usize = 16;

/// What a pooling window computes over its taps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// The sum of the taps inside the input.
    Sum,
    /// The sum divided by `kh·kw` (padding taps count).
    AvgIncludePad,
    /// The sum divided by the number of taps inside the input.
    AvgExcludePad,
    /// The largest tap inside the input (the first one on ties, row-major; the first NaN).
    Max,
}

/// A 2-D pooling over `n` planes `[n, h, w]` → `[n, oh, ow]`: the window of output `(oy, ox)`
/// starts at `(oy·sh − ph, ox·sw − pw)` and spans `kh × kw` (no dilation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolDims {
    /// Planes.
    pub n: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
    /// Window height.
    pub kh: usize,
    /// Window width.
    pub kw: usize,
    /// Vertical stride.
    pub sh: usize,
    /// Horizontal stride.
    pub sw: usize,
    /// Padding above.
    pub ph: usize,
    /// Padding left.
    pub pw: usize,
}

impl PoolDims {
    /// Checks the geometry; returns the plane sizes `(h·w, oh·ow)`.
    fn sizes(&self) -> Result<(usize, usize), KernelError> {
        if self.sh == 0 || self.sw == 0 || self.kh == 0 || self.kw == 0 {
            return Err(KernelError::Param(format!("pool: zero window or stride in {self:?}")));
        }
        product("pool x", &[self.n, self.h, self.w])?;
        product("pool y", &[self.n, self.oh, self.ow])?;
        let reach = |o: usize, s: usize, k: usize, p: usize, len: usize| {
            o.checked_mul(s)
                .and_then(|a| a.checked_add(k))
                .and_then(|a| a.checked_add(p))
                .and_then(|a| a.checked_add(len))
                .ok_or(KernelError::Overflow("pool window"))
        };
        reach(self.oh, self.sh, self.kh, self.ph, self.h)?;
        reach(self.ow, self.sw, self.kw, self.pw, self.w)?;
        Ok((self.h * self.w, self.oh * self.ow))
    }

    /// The in-plane indices of the taps of output `(oy, ox)` inside the input, row-major.
    #[inline(always)]
    fn taps(&self, oy: usize, ox: usize, out: &mut Vec<usize>) {
        out.clear();
        for ky in 0..self.kh {
            let Some(iy) = (oy * self.sh + ky).checked_sub(self.ph).filter(|&y| y < self.h) else {
                continue;
            };
            for kx in 0..self.kw {
                if let Some(ix) = (ox * self.sw + kx).checked_sub(self.pw).filter(|&x| x < self.w) {
                    out.push(iy * self.w + ix);
                }
            }
        }
    }
}

/// The divisor of a window with `taps` taps inside the input.
pub(crate) fn divisor(mode: PoolMode, d: &PoolDims, taps: usize) -> f64 {
    match mode {
        PoolMode::AvgIncludePad => (d.kh * d.kw) as f64,
        PoolMode::AvgExcludePad => taps as f64,
        PoolMode::Sum | PoolMode::Max => 1.0,
    }
}

/// The tap of `taps` holding the window's maximum: the first largest, or the first NaN.
fn arg_max(x: &[f32], taps: &[usize]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for &t in taps {
        match best {
            _ if x[t].is_nan() => return Some(t),
            Some(b) if x[t] <= x[b] => {}
            _ => best = Some(t),
        }
    }
    best
}

/// The output `(oy, ox)` of a window that lies wholly inside the input (most windows: all of
/// them without padding), read straight from `xi` in the taps' row-major order, so that it
/// equals the general path bit for bit; `None` for a window that reaches the padding.
#[inline(always)]
fn interior(mode: PoolMode, d: &PoolDims, xi: &[f32], oy: usize, ox: usize) -> Option<f32> {
    let iy0 = (oy * d.sh).checked_sub(d.ph).filter(|&y| y + d.kh <= d.h)?;
    let ix0 = (ox * d.sw).checked_sub(d.pw).filter(|&x| x + d.kw <= d.w)?;
    let rows = (0..d.kh).map(|ky| &xi[(iy0 + ky) * d.w + ix0..][..d.kw]);
    Some(match mode {
        PoolMode::Max => {
            // The first largest tap, or the first NaN (`arg_max`).
            let mut best = f32::NEG_INFINITY;
            let mut seen = false;
            for &v in rows.flatten() {
                if v.is_nan() {
                    return Some(v);
                }
                if !seen || v > best {
                    best = v;
                    seen = true;
                }
            }
            best
        }
        _ => {
            let sum: f64 = rows.flatten().map(|&v| f64::from(v)).sum();
            (sum / divisor(mode, d, d.kh * d.kw)) as f32
        }
    })
}

/// `y = pool(x)`: `x` `[n, h, w]`, `y` `[n, oh, ow]` (overwritten). A window with no tap
/// inside the input gives −∞ (max) or NaN (average excluding the padding).
pub fn pool2d(
    mode: PoolMode,
    d: &PoolDims,
    x: &[f32],
    y: &mut [f32],
    threads: Threads,
) -> Result<(), KernelError> {
    let (xp, yp) = d.sizes()?;
    check_len("pool x [n,h,w]", x.len(), d.n * xp)?;
    check_len("pool y [n,oh,ow]", y.len(), d.n * yp)?;
    if d.n == 0 || yp == 0 {
        return Ok(());
    }
    if crate::pool_tiled::tiles(mode, d) {
        return threads.install(|| {
            let init = || vec![0f64; d.ow];
            y.par_chunks_mut(PLANES * yp).enumerate().for_each_init(init, |acc, (t, ys)| {
                for (j, yi) in ys.chunks_exact_mut(yp).enumerate() {
                    let xi = &x[(t * PLANES + j) * xp..][..xp];
                    crate::pool_tiled::forward(mode, d, xi, yi, acc);
                }
            })
        });
    }
    threads.install(|| {
        y.par_chunks_mut(PLANES * yp).enumerate().for_each_init(Vec::new, |taps, (t, ys)| {
            for (j, yi) in ys.chunks_exact_mut(yp).enumerate() {
                let xi = &x[(t * PLANES + j) * xp..][..xp];
                for oy in 0..d.oh {
                    for ox in 0..d.ow {
                        if let Some(v) = interior(mode, d, xi, oy, ox) {
                            yi[oy * d.ow + ox] = v;
                            continue;
                        }
                        d.taps(oy, ox, taps);
                        yi[oy * d.ow + ox] = match mode {
                            PoolMode::Max => arg_max(xi, taps).map_or(f32::NEG_INFINITY, |t| xi[t]),
                            _ => {
                                let sum: f64 = taps.iter().map(|&t| f64::from(xi[t])).sum();
                                (sum / divisor(mode, d, taps.len())) as f32
                            }
                        };
                    }
                }
            }
        })
    })
}

/// The input rows (or columns) `lo..hi` that window `o` covers along an axis of `len` with
/// stride `s`, kernel `k` and padding `p`.
#[inline(always)]
fn span(o: usize, s: usize, k: usize, p: usize, len: usize) -> (usize, usize) {
    let lo = (o * s).max(p) - p;
    let hi = ((o * s + k).min(len + p)).saturating_sub(p).max(lo);
    (lo, hi)
}

/// The backward of one plane of a sum or average pool whose windows do not overlap (kernel ≤
/// stride): each input gets the share of at most one window, so the share is written (or
/// added, with `acc`) directly, as the general path's single-term sum would give it.
fn disjoint_back(mode: PoolMode, d: &PoolDims, dyi: &[f32], dxi: &mut [f32], acc: bool) {
    if !acc {
        dxi.fill(0.0);
    }
    for oy in 0..d.oh {
        let (y0, y1) = span(oy, d.sh, d.kh, d.ph, d.h);
        for ox in 0..d.ow {
            let (x0, x1) = span(ox, d.sw, d.kw, d.pw, d.w);
            let count = (y1 - y0) * (x1 - x0);
            if count == 0 {
                continue;
            }
            let share = (f64::from(dyi[oy * d.ow + ox]) / divisor(mode, d, count)) as f32;
            for iy in y0..y1 {
                dxi[iy * d.w + x0..iy * d.w + x1].iter_mut().for_each(|v| *v += share);
            }
        }
    }
}

/// `dx (+)= poolᵀ(dy)`: each `dy[i, oy, ox]` to the taps of its window, divided as the forward
/// divided (max: all of it to the forward's tap, found again from `x`). `x` `[n, h, w]` (read
/// by `Max` only), `dy` `[n, oh, ow]`, `dx` `[n, h, w]`, overwritten unless `acc`. Each
/// plane's sum is accumulated in f64 and rounded once.
pub fn pool2d_backward(
    mode: PoolMode,
    d: &PoolDims,
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    acc: bool,
    threads: Threads,
) -> Result<(), KernelError> {
    let (xp, yp) = d.sizes()?;
    check_len("pool x [n,h,w]", x.len(), d.n * xp)?;
    check_len("pool dy [n,oh,ow]", dy.len(), d.n * yp)?;
    check_len("pool dx [n,h,w]", dx.len(), d.n * xp)?;
    if d.n == 0 || xp == 0 {
        return Ok(());
    }
    let disjoint = mode != PoolMode::Max && d.kh <= d.sh && d.kw <= d.sw;
    let tiled = crate::pool_tiled::tiles(mode, d);
    threads.install(|| {
        dx.par_chunks_mut(PLANES * xp).enumerate().for_each_init(
            || (Vec::new(), Vec::new()),
            |(taps, g), (t, xs)| {
                for (j, dxi) in xs.chunks_exact_mut(xp).enumerate() {
                    let i = t * PLANES + j;
                    let (xi, dyi) = (&x[i * xp..][..xp], &dy[i * yp..][..yp]);
                    if tiled {
                        crate::pool_tiled::backward(mode, d, dyi, dxi, acc);
                        continue;
                    }
                    if disjoint {
                        disjoint_back(mode, d, dyi, dxi, acc);
                        continue;
                    }
                    g.clear();
                    g.resize(xp, 0f64);
                    for oy in 0..d.oh {
                        for ox in 0..d.ow {
                            d.taps(oy, ox, taps);
                            let gy = f64::from(dyi[oy * d.ow + ox]);
                            if mode == PoolMode::Max {
                                if let Some(t) = arg_max(xi, taps) {
                                    g[t] += gy;
                                }
                                continue;
                            }
                            let share = gy / divisor(mode, d, taps.len());
                            for &t in taps.iter() {
                                g[t] += share;
                            }
                        }
                    }
                    for (o, &v) in dxi.iter_mut().zip(g.iter()) {
                        *o = if acc { *o + v as f32 } else { v as f32 };
                    }
                }
            },
        )
    })
}
