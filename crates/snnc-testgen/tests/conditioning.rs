//! The ill-conditioning test of the differential check: it finds the cancelling sum of a known
//! case and nothing in well-conditioned ones.

use snnc_testgen::{check_case, generate, ill_conditioned, ill_conditioned_outputs, Outcome};

type Named = Vec<(String, snnc_ir::Tensor)>;

fn reference(case: &snnc_testgen::Case) -> (Named, Named) {
    let opts = snnc_interp::GradOptions { surrogate: case.surrogate, ..Default::default() };
    let r = snnc_interp::grad(&case.graph, &case.inputs, &case.grad_outputs, &opts).unwrap();
    (r.outputs, r.grads)
}

/// Case 4768 (one integrate-then-fire neuron, T = 2, B = 2, a readout): its bias gradient
/// sums the four steps' terms, which cancel, so a one-ulp nudge of the inputs and upstream
/// gradients moves it by more than 1e-5 (relative); the input and weight gradients are stable.
#[test]
fn a_cancelling_bias_gradient_is_ill_conditioned() {
    let case = generate(4768);
    let (outs, grads) = reference(&case);
    let ill = ill_conditioned(&case, &outs, &grads).unwrap();
    assert_eq!(ill.into_iter().collect::<Vec<_>>(), vec!["b_3".to_string()]);
}

/// Most generated cases have no ill-conditioned gradient at all.
#[test]
fn typical_cases_are_well_conditioned() {
    let mut with_ill = 0;
    for seed in 0..40 {
        let case = generate(seed);
        let (outs, grads) = reference(&case);
        if !ill_conditioned(&case, &outs, &grads).unwrap().is_empty() {
            with_ill += 1;
        }
    }
    assert!(with_ill <= 2, "{with_ill} of 40 cases have an ill-conditioned gradient");
}

/// Case 717938: the reference's gradient of a recurrent weight is exactly 0, the CPU plan's is
/// 2.4e-45 (two of f32's smallest subnormals, a different rounding of terms far below f32's
/// normal range). Both stand for zero at f32 precision: the check leaves the tensor out and
/// counts it, and still compares every other tensor. (Since the generator draws library
/// spellings and layouts, the case is batch-major: the transposes around its sequence layer
/// renumbered that weight from `w_rec_91` to `w_rec_77`; every weight value is as it was.)
#[test]
fn a_gradient_below_f32s_normal_range_on_both_sides_is_left_out() {
    let case = generate(717938);
    let (_, grads) = reference(&case);
    let w = grads.iter().find(|(n, _)| n == "w_rec_77").map(|(_, t)| t.to_f64()).unwrap();
    assert!(w.iter().all(|&v| v == 0.0), "the reference gradient is exactly zero");
    let ill = ill_conditioned(&case, &reference(&case).0, &grads).unwrap();
    assert!(!ill.contains("w_rec_77"), "{ill:?}");
    match check_case(&case) {
        Ok(Outcome::Checked { ill_conditioned, .. }) => assert_eq!(ill_conditioned, 1),
        other => panic!("{other:?}"),
    }
}

/// Case 401 590: the last layer's multi-spike potential (5 neurons after a 69-neuron layer,
/// an output `vhat_145`) is v − n·v_th with both terms large, so element 5 (0.0913) moves by
/// more than 1e-6 when the inputs are nudged by an ulp, and the CPU plan, rounding its partial
/// sums to f32, missed the f64 reference by 1.05e-5 there. That element is flagged (with 9 of
/// the other 14: every neuron's potential is such a remainder); the spike outputs never are.
#[test]
fn a_multi_spike_remainder_of_large_sums_is_ill_conditioned() {
    let case = generate(401590);
    let (outs, _) = reference(&case);
    let ill = ill_conditioned_outputs(&case, &outs).unwrap();
    assert!(ill.keys().all(|n| !case.spike_outputs.contains(n)), "{ill:?}");
    let v = &ill["vhat_145"];
    assert!(v[5], "{v:?}");
    match check_case(&case) {
        Ok(Outcome::Checked { ill_conditioned, .. }) => assert!(ill_conditioned >= 1),
        other => panic!("{other:?}"),
    }
}

/// Most generated cases have no ill-conditioned output element at all.
#[test]
fn typical_outputs_are_well_conditioned() {
    let mut with_ill = 0;
    for seed in 0..40 {
        let case = generate(seed);
        let (outs, _) = reference(&case);
        if !ill_conditioned_outputs(&case, &outs).unwrap().is_empty() {
            with_ill += 1;
        }
    }
    assert!(with_ill <= 2, "{with_ill} of 40 cases have an ill-conditioned output");
}
