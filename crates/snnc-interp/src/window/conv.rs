//! Conv: forward (one f64 accumulation per output element, rounded once by the caller) and the
//! gradients of X, W and the bias.

use ndarray::{ArrayD, IxDyn};
use snnc_ir::ConvSpec;

use super::geometry::Geo;

/// The geometry and the group sizes of a Conv of `x` by `w`.
struct ConvGeo {
    geo: Geo,
    m: usize,
    cg: usize,
    mg: usize,
}

fn geometry(spec: &ConvSpec, x: &[usize], w: &[usize]) -> Result<ConvGeo, String> {
    if w.len() < 3 {
        return Err(format!("W must have rank ≥ 3, got shape {w:?}"));
    }
    let geo = Geo::new(&spec.window(&w[2..])?, x)?;
    let (m, cg) = (w[0], w[1]);
    let g = spec.group.max(1);
    Ok(ConvGeo { geo, m, cg, mg: m / g })
}

fn flat(a: &ArrayD<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

/// Calls `f(x_index, w_index, y_index)` for every product term of the convolution.
fn each_tap(cv: &ConvGeo, mut f: impl FnMut(usize, usize, usize)) {
    let g = &cv.geo;
    for n in 0..g.n {
        for m in 0..cv.m {
            let ic0 = (m / cv.mg) * cv.cg;
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let yi = ((n * cv.m + m) * g.oh + oy) * g.ow + ox;
                    for c in 0..cv.cg {
                        let xc = (n * g.c + ic0 + c) * g.h;
                        let wc = (m * cv.cg + c) * g.kh;
                        for ky in 0..g.kh {
                            let Some(iy) = g.row(oy, ky) else { continue };
                            for kx in 0..g.kw {
                                let Some(ix) = g.col(ox, kx) else { continue };
                                f((xc + iy) * g.w + ix, (wc + ky) * g.kw + kx, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Y = conv(X, W) + bias, laid out in `shape` (the inferred output shape).
pub(crate) fn forward(
    spec: &ConvSpec,
    x: &ArrayD<f64>,
    w: &ArrayD<f64>,
    bias: Option<&ArrayD<f64>>,
    shape: &[usize],
) -> Result<ArrayD<f64>, String> {
    let cv = geometry(spec, x.shape(), w.shape())?;
    let (xs, ws) = (flat(x), flat(w));
    let plane = cv.geo.oh * cv.geo.ow;
    let mut y = vec![0.0; cv.geo.n * cv.m * plane];
    each_tap(&cv, |xi, wi, yi| y[yi] += xs[xi] * ws[wi]);
    if let Some(b) = bias {
        let bs = flat(b);
        for (i, v) in y.iter_mut().enumerate() {
            *v += bs[(i / plane) % cv.m];
        }
    }
    ArrayD::from_shape_vec(IxDyn(shape), y).map_err(|e| e.to_string())
}

/// The gradients of X, W and (when present) the bias, from the output gradient `gy`.
pub(crate) fn backward(
    spec: &ConvSpec,
    x: &ArrayD<f64>,
    w: &ArrayD<f64>,
    bias: Option<&ArrayD<f64>>,
    gy: &ArrayD<f64>,
) -> Result<Vec<Option<ArrayD<f64>>>, String> {
    let cv = geometry(spec, x.shape(), w.shape())?;
    let (xs, ws, gs) = (flat(x), flat(w), flat(gy));
    let mut gx = vec![0.0; xs.len()];
    let mut gw = vec![0.0; ws.len()];
    each_tap(&cv, |xi, wi, yi| {
        gx[xi] += gs[yi] * ws[wi];
        gw[wi] += gs[yi] * xs[xi];
    });
    let shaped = |v: Vec<f64>, s: &[usize]| ArrayD::from_shape_vec(IxDyn(s), v);
    let mut out = vec![
        Some(shaped(gx, x.shape()).map_err(|e| e.to_string())?),
        Some(shaped(gw, w.shape()).map_err(|e| e.to_string())?),
    ];
    if bias.is_some() {
        let plane = cv.geo.oh * cv.geo.ow;
        let mut gb = vec![0.0; cv.m];
        for (i, g) in gs.iter().enumerate() {
            gb[(i / plane) % cv.m] += g;
        }
        out.push(Some(shaped(gb, &[cv.m]).map_err(|e| e.to_string())?));
    }
    Ok(out)
}
