//! `lif_norse.nir` at dt = 1e-4 reproduces the NIR paper's Norse trace (models/nir/lif_norse.csv:
//! input, potential after the reset and spikes of 1000 steps).

use std::path::PathBuf;

use ndarray::{ArrayD, IxDyn};
use snnc_ir::Tensor;
use snnc_nir::{load_nir, NirOptions};

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/nir")
}

fn trace() -> Vec<[f32; 3]> {
    let text = std::fs::read_to_string(models().join("lif_norse.csv")).unwrap();
    text.lines()
        .map(|l| {
            let v: Vec<f32> = l.split(',').map(|x| x.parse().unwrap()).collect();
            [v[0], v[1], v[2]]
        })
        .collect()
}

#[test]
fn lif_norse_reproduces_the_papers_norse_trace() {
    let rows = trace();
    assert_eq!(rows.len(), 1000);
    let o = NirOptions {
        dt: 1e-4,
        steps: rows.len(),
        batch: 1,
        potentials: true,
        ..NirOptions::default()
    };
    let g = load_nir(&models().join("lif_norse.nir"), &o).unwrap();
    let x = ArrayD::from_shape_vec(IxDyn(&[rows.len(), 1, 1]), rows.iter().map(|r| r[0]).collect())
        .unwrap();
    let out = snnc_interp::run(&g, &[("input".into(), Tensor::F32(x))]).unwrap();
    let get = |name: &str| out.iter().find(|(n, _)| n == name).unwrap().1.as_f32_vec().unwrap();
    let (z, v) = (get("output"), get("1.v"));
    let spikes = rows.iter().filter(|r| r[2] > 0.0).count();
    assert!(spikes >= 4, "the trace spikes {spikes} times");
    for (t, r) in rows.iter().enumerate() {
        assert_eq!(z[t], r[2], "spike at step {t}");
        assert!((v[t] - r[1]).abs() <= 1e-6, "potential at step {t}: {} vs Norse {}", v[t], r[1]);
    }
}

#[test]
fn a_larger_dt_changes_the_trace() {
    let rows = trace();
    let o = NirOptions { dt: 2e-4, steps: rows.len(), batch: 1, ..NirOptions::default() };
    let g = load_nir(&models().join("lif_norse.nir"), &o).unwrap();
    let x = ArrayD::from_shape_vec(IxDyn(&[rows.len(), 1, 1]), rows.iter().map(|r| r[0]).collect())
        .unwrap();
    let out = snnc_interp::run(&g, &[("input".into(), Tensor::F32(x))]).unwrap();
    let z = out[0].1.as_f32_vec().unwrap();
    assert!(z.iter().zip(&rows).any(|(a, r)| *a != r[2]));
}
