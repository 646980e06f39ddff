//! The language and the analysis: operators print and parse back, and the analysis knows
//! types, values, binary values and neuron state.

mod common;

use common::*;
use snnc_ir::{ConvSpec, DType, Order, PoolKind, PoolSpec, Surrogate, Threshold};
use snnc_opt::convert::from_ir::load;
use snnc_opt::sym::{Bits, Neuron, Sg, Sym};

#[test]
fn operators_print_and_parse_back() {
    let n = Neuron {
        v_th: vec![Bits::of(1.0), Bits::of(0.5)],
        v_reset: vec![Bits::of(-0.25)],
        sg: Sg::of(&"triangle:0.75".parse::<Surrogate>().unwrap()),
        family: Default::default(),
        leak: Neuron::if_leak(),
        amount: None,
    };
    // A subtract reset of its own amount, with and without a leak (each prints its tag).
    let sub = snnc_ir::Family { reset: snnc_ir::Reset::Subtract, ..Default::default() };
    let amount =
        Neuron { family: sub, amount: Some(vec![Bits::of(1.25), Bits::of(0.75)]), ..n.clone() };
    let mut leaky = amount.clone();
    leaky.leak.0[1] = vec![Bits::of(0.9)];
    let syms = [
        Sym::Input(3),
        Sym::Init(0),
        Sym::Const(7),
        Sym::Absent,
        Sym::Proj(2),
        Sym::Add,
        Sym::Where,
        Sym::Cast(DType::Bool),
        Sym::Gather(-1),
        Sym::Unsqueeze(vec![0, -1]),
        Sym::Squeeze(vec![]),
        Sym::Reshape(vec![2, -1]),
        Sym::Transpose(vec![1, 0]),
        Sym::Conv(ConvSpec {
            strides: vec![2, 1],
            pads: vec![1, 0, 1, 2],
            dilations: vec![],
            group: 2,
        }),
        Sym::Pool(PoolSpec {
            kind: PoolKind::Sum,
            kernel: vec![2],
            strides: vec![],
            pads: vec![0, 1],
        }),
        Sym::Pool(PoolSpec {
            kind: PoolKind::Avg { count_include_pad: true },
            kernel: vec![3, 3],
            strides: vec![2, 2],
            pads: vec![1, 1, 1, 1],
        }),
        Sym::Pool(PoolSpec {
            kind: PoolKind::Avg { count_include_pad: false },
            kernel: vec![2, 2],
            strides: vec![],
            pads: vec![],
        }),
        Sym::Pool(PoolSpec {
            kind: PoolKind::Max,
            kernel: vec![2, 2],
            strides: vec![2, 2],
            pads: vec![],
        }),
        Sym::Gemm { alpha: Bits::of(0.5), beta: Bits::of(1.0), trans_a: true, trans_b: false },
        Sym::Linear { trans_b: false },
        Sym::SpikeLinear { trans_b: true },
        Sym::Spike(Sg::of(&Surrogate::default()), Threshold::Gt),
        Sym::Spike(Sg::of(&Surrogate::default()), Threshold::Ge),
        Sym::SpikeReset(n.clone()),
        Sym::SpikeReset(amount.clone()),
        Sym::Iaf(leaky.clone(), Order::IntegrateThenFire),
        Sym::IafRecurrent(leaky, Order::IntegrateThenFire),
        Sym::FfStep(amount, Order::IntegrateThenFire),
        Sym::Iaf(n.clone(), Order::FireThenIntegrate),
        Sym::IafRecurrent(n.clone(), Order::IntegrateThenFire),
        Sym::FfStep(n.clone(), Order::IntegrateThenFire),
        Sym::RecStep(n, Order::FireThenIntegrate),
    ];
    for s in syms {
        assert_eq!(s.to_string().parse::<Sym>(), Ok(s.clone()), "{s}");
        if let Some(op) = s.to_op() {
            assert_eq!(Sym::of_op(&op), Some(s));
        }
    }
    assert!("gather".parse::<Sym>().is_err() && "frob:1".parse::<Sym>().is_err());
}

#[test]
fn the_analysis_knows_values_binary_values_and_state() {
    let g = graph(
        "graph t {
  input x: f32[2,3]
  weight one: f32[] = 1.0
  weight w: f32[3] = [0, 1, 1]
  s = Sub(x, one)
  gt = Greater(s, one)
  z = Cast(gt) {to = \"f32\"}
  nz = Sub(one, z)
  y = Mul(nz, x)
  output z, nz, y, w
}",
    );
    let l = load(&g).unwrap();
    let d = |i: usize| &l.egraph[l.roots[i]].data;
    assert!(d(0).is_binary() && d(0).state, "a cast comparison is a spike");
    assert!(d(1).is_binary() && d(1).state, "1 − z is binary");
    assert!(!d(2).is_binary() && d(2).state);
    assert_eq!(d(2).ty().shape, [2, 3]);
    assert!(d(3).is_binary() && !d(3).state && d(3).value.is_some());
    assert!(!d(3).foldable, "a weight tensor is a parameter");
}

/// Every rule has a unique kebab-case name, and this list (which the rule tests follow) is
/// complete: a new rule must be added here, and tested.
#[test]
fn every_rule_is_named() {
    let names: Vec<String> = named(&[]).iter().map(|r| r.name.to_string()).collect();
    let want = [
        "add-zero",
        "add-zero-left",
        "sub-zero",
        "mul-one",
        "mul-one-left",
        "one-minus-one-minus",
        "neg-neg",
        "identity",
        "cast-noop-f32",
        "cast-noop-f64",
        "mul-zero",
        "add-sub-zero",
        "add-add-sub-zero",
        "const-fold",
        "slice-full",
        "squeeze-unsqueeze",
        "gather-unsqueeze",
        "squeeze-slice-row",
        "greater-to-spike",
        "less-to-spike",
        "greater-to-spike-f64",
        "less-to-spike-f64",
        "greater-equal-to-spike",
        "less-equal-to-spike",
        "greater-equal-to-spike-f64",
        "less-equal-to-spike-f64",
        "reset-fuse",
        "reset-zero-select",
        "reset-zero-minus",
        "reset-subtract",
        "reset-zero-mask",
        "reset-where",
        "reset-late",
        "reset-late-rec",
        "reset-multi",
        "reset-multi-count",
        "reset-none",
        "linear-split-bias",
        "rec-bias-forward",
        "linear-bias-column",
        "step-ff-itf",
        "step-ff-fti",
        "step-rec-itf",
        "step-rec-fti",
        "reset-late-decay",
        "leak-step-itf",
        "leak-li",
        "leak-mem-itf",
        "gather-axis",
        "concat-axis",
        "transpose-push",
        "gemm-to-linear",
        "matmul-to-linear",
        "linear-transposed",
        "linear-bias",
        "linear-hoist-gather",
        "linear-unhoist-gather",
        "conv-hoist-gather",
        "pool-hoist-gather",
        "reshape-hoist-gather",
        "map-hoist-gather",
        "neuron-flatten",
        "spike-flatten",
        "reshape-push",
        "reshape-window",
        "reshape-reshape",
        "concat-unstack",
        "iaf-reroll",
        "spike-linear",
    ];
    assert_eq!(names, want);
    assert!(names
        .iter()
        .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')));
}
