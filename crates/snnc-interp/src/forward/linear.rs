//! Gemm and MatMul.

use ndarray::{s, Array3, ArrayD, ArrayView2, Ix2};
use snnc_ir::broadcast_shapes;

use crate::broadcast::view_as;
use crate::value::reshaped;

/// `a` as a matrix view.
pub(crate) fn matrix(a: &ArrayD<f64>) -> Result<ArrayView2<'_, f64>, String> {
    a.view()
        .into_dimensionality::<Ix2>()
        .map_err(|_| format!("expected a matrix, got {:?}", a.shape()))
}

/// ONNX Gemm: Y = alpha·op(A)·op(B) + beta·C, op transposing when the flag is set; C broadcasts
/// to [M, N].
pub(crate) fn gemm(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    c: Option<&ArrayD<f64>>,
    (alpha, beta): (f64, f64),
    (trans_a, trans_b): (bool, bool),
) -> Result<ArrayD<f64>, String> {
    let a = matrix(a)?;
    let b = matrix(b)?;
    let a = if trans_a { a.t() } else { a };
    let b = if trans_b { b.t() } else { b };
    if a.ncols() != b.nrows() {
        return Err(format!("inner dimensions differ: {:?} and {:?}", a.shape(), b.shape()));
    }
    let mut y = a.dot(&b).into_dyn();
    y.mapv_inplace(|v| alpha * v);
    if let Some(c) = c {
        let shape = y.shape().to_vec();
        y += &view_as(c, &shape)?.mapv(|v| beta * v);
    }
    Ok(y)
}

/// Linear over the last axis: X [..., K] as [M, K] rows, Y = X·op(W) + bias, laid out as
/// `out_shape` [..., N]. The same product as a Gemm of all M rows, so each element is
/// accumulated in f64 and rounded once.
pub(crate) fn linear(
    x: &ArrayD<f64>,
    w: &ArrayD<f64>,
    bias: Option<&ArrayD<f64>>,
    trans_b: bool,
    out_shape: &[usize],
) -> Result<ArrayD<f64>, String> {
    let rows = rows_of(x)?;
    let y = gemm(&rows, w, bias, (1.0, 1.0), (false, trans_b))?;
    reshaped(&y, out_shape)
}

/// `x` [..., K] as a matrix [M, K] of its rows.
pub(crate) fn rows_of(x: &ArrayD<f64>) -> Result<ArrayD<f64>, String> {
    let k = *x.shape().last().ok_or("a linear input needs rank ≥ 1")?;
    let m = x.len().checked_div(k).unwrap_or(0);
    reshaped(x, &[m, k])
}

/// How a (batched, broadcast) MatMul pairs up its operands' matrices.
///
/// Both operands are promoted NumPy-style (a vector `a` becomes [1,K], a vector `b` becomes
/// [K,1]) and viewed as stacks of matrices; `a_of[i]`/`b_of[i]` say which matrix of each stack
/// output matrix `i` uses, so broadcasting never materializes copies.
pub(crate) struct MatMulPlan {
    /// Rows of each product.
    pub m: usize,
    /// Inner dimension.
    pub k: usize,
    /// Columns of each product.
    pub n: usize,
    /// Number of matrices in each operand's stack.
    pub a_count: usize,
    /// See `a_count`.
    pub b_count: usize,
    /// For each output matrix, the index of its `a` matrix.
    pub a_of: Vec<usize>,
    /// For each output matrix, the index of its `b` matrix.
    pub b_of: Vec<usize>,
}

impl MatMulPlan {
    /// Plans `a @ b` for operand shapes `a` and `b`.
    pub(crate) fn new(a: &[usize], b: &[usize]) -> Result<Self, String> {
        if a.is_empty() || b.is_empty() {
            return Err("MatMul inputs must have rank ≥ 1".into());
        }
        let pa: Vec<usize> = if a.len() == 1 { vec![1, a[0]] } else { a.to_vec() };
        let pb: Vec<usize> = if b.len() == 1 { vec![b[0], 1] } else { b.to_vec() };
        let (ba, bb) = (&pa[..pa.len() - 2], &pb[..pb.len() - 2]);
        let (m, k) = (pa[pa.len() - 2], pa[pa.len() - 1]);
        let (k2, n) = (pb[pb.len() - 2], pb[pb.len() - 1]);
        if k != k2 {
            return Err(format!("inner dimensions differ: {a:?} @ {b:?}"));
        }
        let batch = broadcast_shapes(ba, bb)
            .ok_or_else(|| format!("batch dimensions do not broadcast: {a:?} @ {b:?}"))?;
        let count: usize = batch.iter().product();
        let mut a_of = Vec::with_capacity(count);
        let mut b_of = Vec::with_capacity(count);
        let mut idx = vec![0usize; batch.len()];
        for _ in 0..count {
            a_of.push(source_index(&idx, ba));
            b_of.push(source_index(&idx, bb));
            for d in (0..batch.len()).rev() {
                idx[d] += 1;
                if idx[d] < batch[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        let (a_count, b_count) = (ba.iter().product(), bb.iter().product());
        Ok(MatMulPlan { m, k, n, a_count, b_count, a_of, b_of })
    }

    /// `a` as its stack of [M,K] matrices.
    pub(crate) fn a_stack(&self, a: &ArrayD<f64>) -> Result<Array3<f64>, String> {
        stack(a, [self.a_count, self.m, self.k])
    }

    /// `b` as its stack of [K,N] matrices.
    pub(crate) fn b_stack(&self, b: &ArrayD<f64>) -> Result<Array3<f64>, String> {
        stack(b, [self.b_count, self.k, self.n])
    }
}

/// Row-major index into a broadcast operand's batch dims `src` (right-aligned against the output
/// batch index `idx`; size-1 dims repeat).
fn source_index(idx: &[usize], src: &[usize]) -> usize {
    let off = idx.len() - src.len();
    src.iter().enumerate().fold(0, |acc, (i, &d)| acc * d + if d == 1 { 0 } else { idx[off + i] })
}

/// `a` laid out as a rank-3 stack.
pub(crate) fn stack(a: &ArrayD<f64>, shape: [usize; 3]) -> Result<Array3<f64>, String> {
    reshaped(a, &shape)?.into_dimensionality().map_err(|e| e.to_string())
}

/// NumPy matmul with batch broadcasting and the 1-D cases; `out_shape` is the result's shape.
pub(crate) fn matmul(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    out_shape: &[usize],
) -> Result<ArrayD<f64>, String> {
    let plan = MatMulPlan::new(a.shape(), b.shape())?;
    let (a3, b3) = (plan.a_stack(a)?, plan.b_stack(b)?);
    let mut out = Array3::<f64>::zeros((plan.a_of.len(), plan.m, plan.n));
    for (i, (&ia, &ib)) in plan.a_of.iter().zip(&plan.b_of).enumerate() {
        let prod = a3.slice(s![ia, .., ..]).dot(&b3.slice(s![ib, .., ..]));
        out.slice_mut(s![i, .., ..]).assign(&prod);
    }
    reshaped(&out.into_dyn(), out_shape)
}
