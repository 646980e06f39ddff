//! Cross-check against the independent PyTorch reference (`models/spec_ref.py`): the one `snn`
//! fixture without initializers, `custom_iaf_itf_perneuron`, rebuilt by hand with the IR (the
//! ONNX frontend is not used here). The full fixture set is covered by the workspace tests.

mod common;

use std::path::PathBuf;

use common::*;
use snnc_arrays::read_npz;
use snnc_interp::{grad, spike_margins, GradOptions};
use snnc_ir::{DType, Graph, IafParams, Method, Op, Order, Surrogate};

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
    d / b.iter().map(|y| y * y).sum::<f64>().sqrt()
}

#[test]
fn custom_iaf_itf_perneuron_matches_the_reference() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/fixtures/custom_iaf_itf_perneuron");
    if !dir.exists() {
        eprintln!("fixture folder {} not found, skipping", dir.display());
        return;
    }
    let inputs = read_npz(&dir.join("inputs.npz")).unwrap();
    let want = read_npz(&dir.join("outputs.npz")).unwrap();
    let gouts = read_npz(&dir.join("grad_outputs.npz")).unwrap();
    let want_grads = read_npz(&dir.join("grads_triangle.npz")).unwrap();
    // meta.json: snn_attributes.iaf.
    let p = IafParams {
        v_th: vec![0.978, 0.901, 0.877, 0.864, 1.176, 0.907],
        v_reset: vec![0.043, -0.257, -0.103, 0.149, 0.002, 0.079],
        surrogate: Surrogate::new(Method::Triangle, 0.75).unwrap(),
        order: Order::IntegrateThenFire,
        family: Default::default(),
        ..Default::default()
    };
    let x = get(&inputs, "X");
    let mut g = Graph::new("custom_iaf_itf_perneuron");
    let xi = input(&mut g, "X", DType::F32, x.shape());
    let outs = g.add_node("iaf", Op::Iaf(p), vec![Some(xi)], &[Some("Z"), Some("V_T")]).unwrap();
    g.add_output(outs[0].unwrap()).unwrap();
    g.add_output(outs[1].unwrap()).unwrap();
    let r = grad(&g, &inputs, &gouts, &GradOptions::default()).unwrap();
    assert!(spike_margins(&g, &inputs).unwrap() > 1e-3);
    assert_eq!(vals(get(&r.outputs, "Z")), vals(get(&want, "Z")), "spikes");
    let e = rel_err(&vals(get(&r.outputs, "V_T")), &vals(get(&want, "V_T")));
    assert!(e < 1e-6, "V_T relative error {e}");
    for (name, t) in &want_grads {
        let e = rel_err(&vals(get(&r.grads, name)), &vals(t));
        assert!(e < 1e-5, "gradient of {name}: relative error {e}");
    }
}
