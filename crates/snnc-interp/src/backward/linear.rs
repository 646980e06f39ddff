//! Reverse rules of Gemm and MatMul.

use ndarray::{s, Array3, ArrayD};

use crate::broadcast::reduce_to;
use crate::forward::linear::{matrix, rows_of, stack, MatMulPlan};
use crate::value::reshaped;

/// Gemm: with A' = op(A), B' = op(B) and G the output gradient,
/// ∂A' = alpha·G·B'ᵀ, ∂B' = alpha·A'ᵀ·G (transposed back when the flag is set), and
/// ∂C = beta·G summed down to C's shape.
pub(crate) fn gemm_back(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    c: Option<&ArrayD<f64>>,
    g: &ArrayD<f64>,
    (alpha, beta): (f64, f64),
    (trans_a, trans_b): (bool, bool),
) -> Result<[Option<ArrayD<f64>>; 3], String> {
    let (a2, b2, g2) = (matrix(a)?, matrix(b)?, matrix(g)?);
    let ap = if trans_a { a2.t() } else { a2 };
    let bp = if trans_b { b2.t() } else { b2 };
    let dap = g2.dot(&bp.t()).mapv_into(|v| alpha * v);
    let dbp = ap.t().dot(&g2).mapv_into(|v| alpha * v);
    let da = if trans_a { dap.t().to_owned() } else { dap };
    let db = if trans_b { dbp.t().to_owned() } else { dbp };
    let dc = c.map(|c| reduce_to(g.mapv(|v| beta * v), c.shape())).transpose()?;
    Ok([Some(da.into_dyn()), Some(db.into_dyn()), dc])
}

/// Linear: the Gemm rule over the rows of X, with ∂X laid out like X again.
pub(crate) fn linear_back(
    x: &ArrayD<f64>,
    w: &ArrayD<f64>,
    bias: Option<&ArrayD<f64>>,
    g: &ArrayD<f64>,
    trans_b: bool,
) -> Result<[Option<ArrayD<f64>>; 3], String> {
    let rows = rows_of(x)?;
    let g2 = rows_of(g)?;
    let [dx, dw, db] = gemm_back(&rows, w, bias, &g2, (1.0, 1.0), (false, trans_b))?;
    let dx = dx.map(|d| reshaped(&d, x.shape())).transpose()?;
    Ok([dx, dw, db])
}

/// MatMul: for each product C_i = A_{a(i)}·B_{b(i)}, ∂A_{a(i)} += G_i·B_{b(i)}ᵀ and
/// ∂B_{b(i)} += A_{a(i)}ᵀ·G_i, which also sums over broadcast batch dimensions.
pub(crate) fn matmul_back(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    g: &ArrayD<f64>,
) -> Result<[Option<ArrayD<f64>>; 2], String> {
    let p = MatMulPlan::new(a.shape(), b.shape())?;
    let (a3, b3) = (p.a_stack(a)?, p.b_stack(b)?);
    let g3 = stack(g, [p.a_of.len(), p.m, p.n])?;
    let mut ga = Array3::<f64>::zeros((p.a_count, p.m, p.k));
    let mut gb = Array3::<f64>::zeros((p.b_count, p.k, p.n));
    for (i, (&ia, &ib)) in p.a_of.iter().zip(&p.b_of).enumerate() {
        let gi = g3.slice(s![i, .., ..]);
        let (ai, bi) = (a3.slice(s![ia, .., ..]), b3.slice(s![ib, .., ..]));
        let mut ga_i = ga.slice_mut(s![ia, .., ..]);
        ga_i += &gi.dot(&bi.t());
        let mut gb_i = gb.slice_mut(s![ib, .., ..]);
        gb_i += &ai.t().dot(&gi);
    }
    Ok([Some(reshaped(&ga.into_dyn(), a.shape())?), Some(reshaped(&gb.into_dyn(), b.shape())?)])
}
