//! SumPool, AveragePool and MaxPool: forward and the gradient of X.

use ndarray::{ArrayD, IxDyn};
use snnc_ir::{PoolKind, PoolSpec};

use super::geometry::Geo;

/// Calls `f(y_index, taps)` for every output element with the input indices of its window's
/// taps inside the input (row-major window order) and the window's full size.
fn each_window(g: &Geo, mut f: impl FnMut(usize, &[usize], usize)) {
    let mut taps = Vec::with_capacity(g.kh * g.kw);
    for nc in 0..g.n * g.c {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                taps.clear();
                for ky in 0..g.kh {
                    let Some(iy) = g.row(oy, ky) else { continue };
                    for kx in 0..g.kw {
                        let Some(ix) = g.col(ox, kx) else { continue };
                        taps.push((nc * g.h + iy) * g.w + ix);
                    }
                }
                f((nc * g.oh + oy) * g.ow + ox, &taps, g.kh * g.kw);
            }
        }
    }
}

/// The divisor of an average over `taps` of a window of `size` taps.
fn divisor(kind: PoolKind, taps: usize, size: usize) -> f64 {
    match kind {
        PoolKind::Avg { count_include_pad: true } => size as f64,
        PoolKind::Avg { count_include_pad: false } => taps as f64,
        PoolKind::Sum | PoolKind::Max => 1.0,
    }
}

/// The tap of `taps` holding the window's maximum: the first largest, or the first NaN.
fn arg_max(xs: &[f64], taps: &[usize]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for &t in taps {
        match best {
            _ if xs[t].is_nan() => return Some(t),
            Some(b) if xs[t] <= xs[b] => {}
            _ => best = Some(t),
        }
    }
    best
}

/// The pooled `x`, laid out in `shape` (the inferred output shape).
pub(crate) fn forward(
    spec: &PoolSpec,
    x: &ArrayD<f64>,
    shape: &[usize],
) -> Result<ArrayD<f64>, String> {
    let g = Geo::new(&spec.window()?, x.shape())?;
    let xs: Vec<f64> = x.iter().copied().collect();
    let mut y = vec![0.0; g.n * g.c * g.oh * g.ow];
    each_window(&g, |yi, taps, size| {
        y[yi] = match spec.kind {
            PoolKind::Max => arg_max(&xs, taps).map_or(f64::NEG_INFINITY, |t| xs[t]),
            kind => taps.iter().map(|&t| xs[t]).sum::<f64>() / divisor(kind, taps.len(), size),
        };
    });
    ArrayD::from_shape_vec(IxDyn(shape), y).map_err(|e| e.to_string())
}

/// The gradient of X from the output gradient `gy`: spread evenly (sum, average) or routed to
/// the window's maximum (max; the first one on ties).
pub(crate) fn backward(
    spec: &PoolSpec,
    x: &ArrayD<f64>,
    gy: &ArrayD<f64>,
) -> Result<ArrayD<f64>, String> {
    let g = Geo::new(&spec.window()?, x.shape())?;
    let xs: Vec<f64> = x.iter().copied().collect();
    let gs: Vec<f64> = gy.iter().copied().collect();
    let mut gx = vec![0.0; xs.len()];
    each_window(&g, |yi, taps, size| match spec.kind {
        PoolKind::Max => {
            if let Some(t) = arg_max(&xs, taps) {
                gx[t] += gs[yi];
            }
        }
        kind => {
            let share = gs[yi] / divisor(kind, taps.len(), size);
            for &t in taps {
                gx[t] += share;
            }
        }
    });
    ArrayD::from_shape_vec(IxDyn(x.shape()), gx).map_err(|e| e.to_string())
}
