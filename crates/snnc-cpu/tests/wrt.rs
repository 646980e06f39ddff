//! `--wrt params` skips the gradient kernels that only lead to data inputs (∂X of the first
//! layer), and `--wrt inputs` those that only lead to weights.

mod common;

use common::*;
use snnc_cpu::{Engine, Wrt};
use snnc_plan::{compile, Kernel, NEED_INPUTS, NEED_PARAMS};

#[test]
fn wrt_skips_unneeded_gradient_kernels() {
    let g = snnc_opt::optimize(&import("ff_t8"), &Default::default()).unwrap().graph;
    let plan = compile(&g, &Default::default()).unwrap();
    let dir = fixtures().join("ff_t8");
    let (inputs, gos) = (npz(&dir.join("inputs.npz")), npz(&dir.join("grad_outputs.npz")));
    let prog = plan.train();
    for (wrt, bit) in [(Wrt::Params, NEED_PARAMS), (Wrt::Inputs, NEED_INPUTS)] {
        let mut e = Engine::new(&plan).with_profiling();
        e.grad(&inputs, &gos, wrt).unwrap();
        let ran: Vec<usize> = e.profile().iter().flat_map(|s| s.step..s.step + s.steps).collect();
        let skipped: Vec<usize> = (0..prog.steps.len()).filter(|i| !ran.contains(i)).collect();
        assert!(!skipped.is_empty(), "{wrt}: nothing skipped");
        for &i in &skipped {
            assert_eq!(prog.steps[i].need & bit, 0, "{wrt}: step {i} was needed");
        }
        if wrt == Wrt::Params {
            let dx = skipped.iter().any(|&i| matches!(prog.steps[i].kernel, Kernel::Mm(_)));
            assert!(dx, "the first layer's dX product still runs");
        }
    }
}
