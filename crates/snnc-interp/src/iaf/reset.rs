//! `SpikeReset`: the fire-and-reset half of an integrate-and-fire step, on its own.
//!
//! It is exactly an integrate-then-fire [`Cell`] step with zero input current: `v̂ + 0 = v̂`,
//! then `s = v̂ − th`, `z = Θ(s)`, `v = (1 − z)·v̂ + z·r`, each result rounded like the
//! primitive ops `Sub`, `Greater`, `Cast`, `Sub`, `Mul`, `Mul`, `Add` that it replaces. Sharing
//! the cell keeps the fused op and the sequence ops bit-identical by construction.

use ndarray::ArrayD;
use snnc_ir::{DType, Order, ResetParams};

use crate::iaf::cell::Cell;

/// The integrate-then-fire cell of a `SpikeReset` over `neurons` neurons.
pub(crate) fn cell(p: &ResetParams, dtype: DType, neurons: usize) -> Result<Cell, String> {
    p.check(neurons)?;
    let iaf = p.to_iaf(Order::IntegrateThenFire);
    Ok(Cell {
        th: (0..neurons).map(|n| iaf.v_th_at(n) as f64).collect(),
        reset: (0..neurons).map(|n| iaf.v_reset_at(n) as f64).collect(),
        amount: (0..neurons).map(|n| iaf.reset_amount_at(n) as f64).collect(),
        order: Order::IntegrateThenFire,
        surrogate: p.surrogate,
        family: p.family,
        dtype,
        leak: iaf.leak,
        v_out: iaf.v_out,
    })
}

/// The neuron count of potentials `v` [..., N] (its last axis).
pub(crate) fn neurons(v: &ArrayD<f64>) -> Result<usize, String> {
    match v.shape().last() {
        Some(&n) if n > 0 => Ok(n),
        Some(_) => Ok(1),
        None => Err("V must have rank ≥ 1".to_string()),
    }
}

/// (Z, V) for potentials `v` [..., N].
pub(crate) fn forward(
    p: &ResetParams,
    dtype: DType,
    v: &ArrayD<f64>,
) -> Result<(ArrayD<f64>, ArrayD<f64>), String> {
    let n = neurons(v)?;
    let c = cell(p, dtype, n)?;
    // `iter` visits elements in logical row-major order, so the neuron is the index mod N.
    let steps: Vec<_> = v.iter().enumerate().map(|(k, &x)| c.step(k % n, x, 0.0, 0.0)).collect();
    let shape = v.raw_dim();
    let z = ArrayD::from_shape_vec(shape.clone(), steps.iter().map(|f| f.z).collect());
    let out = ArrayD::from_shape_vec(shape, steps.iter().map(|f| f.v).collect());
    Ok((z.map_err(|e| e.to_string())?, out.map_err(|e| e.to_string())?))
}

/// ∂V̂ from the gradients of Z and V (absent ones are zero): with s = v̂ − th,
/// `gz' = gZ + gV·(r − v̂)` and `∂v̂ = gV·(1 − z) + gz'·σ'(s)`.
pub(crate) fn backward(
    p: &ResetParams,
    dtype: DType,
    v: &ArrayD<f64>,
    gz: Option<&ArrayD<f64>>,
    gv: Option<&ArrayD<f64>>,
) -> Result<ArrayD<f64>, String> {
    let n = neurons(v)?;
    let c = cell(p, dtype, n)?;
    let zeros = vec![0.0; v.len()];
    let flat = |g: Option<&ArrayD<f64>>| -> Vec<f64> {
        g.map_or_else(|| zeros.clone(), |g| g.iter().copied().collect())
    };
    let (gz, gv) = (flat(gz), flat(gv));
    let d: Vec<f64> = v
        .iter()
        .enumerate()
        .map(|(k, &x)| {
            let f = c.step(k % n, x, 0.0, 0.0);
            c.step_back(k % n, &f, x, gz[k], gv[k], 0.0).0
        })
        .collect();
    ArrayD::from_shape_vec(v.raw_dim(), d).map_err(|e| e.to_string())
}
