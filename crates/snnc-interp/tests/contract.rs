//! SPEC §5 per element: which output elements depend on an undecided spike ([`excused`]), and
//! what [`Contract`] asks of an engine's outputs and gradients.

mod common;

use common::*;
use ndarray::{ArrayD, IxDyn};
use snnc_interp::{excused, required_gradients, Contract};
use snnc_ir::{DType, Graph, IafParams, Op, Order, Tensor};

fn mask(shape: &[usize], set: &[bool]) -> ArrayD<bool> {
    ArrayD::from_shape_vec(IxDyn(shape), set.to_vec()).unwrap()
}

/// z = Θ(x − 2) spelled `Cast(Greater(Sub(x, th), 0))`, y = z·W with W = [[1, 0], [0, 0],
/// [0, 1]], and zᵀ.
fn plain_layer() -> Graph {
    plain_layer_with(Op::Greater)
}

/// [`plain_layer`] with comparison `cmp` (`Greater` or `GreaterOrEqual`).
fn plain_layer_with(cmp: Op) -> Graph {
    let mut g = Graph::new("plain");
    let x = input(&mut g, "x", DType::F32, &[2, 3]);
    let th = constant(&mut g, t32(&[], &[2.0]), "th");
    let zero = constant(&mut g, t32(&[], &[0.0]), "zero");
    let w = constant(&mut g, t32(&[3, 2], &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]), "w");
    let s = op(&mut g, Op::Sub, &[x, th], "s");
    let gt = op(&mut g, cmp, &[s, zero], "gt");
    let z = op(&mut g, Op::Cast { to: DType::F32 }, &[gt], "z");
    let y = op(&mut g, Op::MatMul, &[z, w], "y");
    let zt = op(&mut g, Op::Transpose { perm: vec![1, 0] }, &[z], "zt");
    for o in [z, y, zt] {
        g.add_output(o).unwrap();
    }
    g
}

#[test]
fn a_comparison_excuses_its_undecided_elements_and_what_they_reach() {
    // [0,0]: x − 2 = 1.5e-5, within 1e-5·max(1, |v_th| = 2); [1,1]: exactly at the threshold.
    let x = t32(&[2, 3], &[2.000015, 0.5, 3.0, 1.0, 2.0, 2.5]);
    let e = excused(&plain_layer(), &[("x".into(), x)]).unwrap();
    assert_eq!(e.decisions, 2);
    assert_eq!(e.mask("z"), Some(&mask(&[2, 3], &[true, false, false, false, true, false])));
    // z[1,1] meets only a zero weight, so y[1,..] is decided whatever z[1,1] is.
    assert_eq!(e.mask("y"), Some(&mask(&[2, 2], &[true, false, false, false])));
    assert_eq!(e.mask("zt"), Some(&mask(&[3, 2], &[true, false, false, true, false, false])));
    // 3e-5 is outside the tolerance of a threshold of 2.
    let x = t32(&[2, 3], &[2.00003, 0.5, 3.0, 1.0, 2.1, 2.5]);
    let e = excused(&plain_layer(), &[("x".into(), x)]).unwrap();
    assert!(e.none() && e.mask("z").is_none() && e.mask("y").is_none(), "{e:?}");
}

/// SpikingJelly's and sinabs' `≥` is a spike decision like `>`: the same elements are excused.
#[test]
fn a_greater_or_equal_comparison_excuses_like_greater() {
    let x = t32(&[2, 3], &[2.000015, 0.5, 3.0, 1.0, 2.0, 2.5]);
    let e = excused(&plain_layer_with(Op::GreaterOrEqual), &[("x".into(), x)]).unwrap();
    assert_eq!(e.decisions, 2);
    assert_eq!(e.mask("z"), Some(&mask(&[2, 3], &[true, false, false, false, true, false])));
}

/// A `Slice` moves a mask like its data (SpikingJelly reads step t as `Slice(S, [t, t+1])`):
/// the undecided spike of row 1 reaches row 1's slice only, and the slice of row 0 is decided.
#[test]
fn a_slice_moves_the_mask_of_its_rows() {
    let mut g = plain_layer();
    let z = g.find("z").unwrap();
    let slice = |t: i64| {
        Op::Slice(snnc_ir::SliceSpec {
            starts: vec![t],
            ends: vec![t + 1],
            axes: vec![0],
            steps: vec![],
        })
    };
    for (t, name) in [(0, "row0"), (1, "row1")] {
        let r = op(&mut g, slice(t), &[z], name);
        g.add_output(r).unwrap();
    }
    let x = t32(&[2, 3], &[1.0, 0.5, 3.0, 1.0, 2.0, 2.5]);
    let e = excused(&g, &[("x".into(), x)]).unwrap();
    assert_eq!(e.decisions, 1);
    assert_eq!(e.mask("row0"), None);
    assert_eq!(e.mask("row1"), Some(&mask(&[1, 3], &[false, true, false])));
}

fn iaf(order: Order) -> IafParams {
    IafParams {
        v_th: vec![1.0],
        v_reset: vec![0.0],
        surrogate: Default::default(),
        order,
        family: Default::default(),
        ..Default::default()
    }
}

#[test]
fn an_undecided_neuron_step_excuses_that_neuron_from_then_on() {
    for order in [Order::IntegrateThenFire, Order::FireThenIntegrate] {
        let mut g = Graph::new("iaf");
        let x = input(&mut g, "X", DType::F32, &[3, 1, 2]);
        let v0 = input(&mut g, "V0", DType::F32, &[1, 2]);
        let outs = g
            .add_node("l", Op::Iaf(iaf(order)), vec![Some(x), Some(v0)], &[Some("Z"), Some("V_T")])
            .unwrap();
        for o in outs.iter().flatten() {
            g.add_output(*o).unwrap();
        }
        // Neuron 0 decides at 1 + 5e-6 in step 0 (from the input, or from V0 when it fires
        // before integrating); neuron 1 never comes near its threshold.
        let (xs, v): (&[f32], &[f32]) = match order {
            Order::IntegrateThenFire => (&[1.000005, 0.2, 0.0, 0.2, 0.0, 0.2], &[0.0, 0.0]),
            Order::FireThenIntegrate => (&[0.0, 0.2, 0.0, 0.2, 0.0, 0.2], &[1.000005, 0.0]),
        };
        let feed = [("X".into(), t32(&[3, 1, 2], xs)), ("V0".into(), t32(&[1, 2], v))];
        let e = excused(&g, &feed).unwrap();
        assert_eq!(e.decisions, 1, "{order:?}");
        let z = mask(&[3, 1, 2], &[true, false, true, false, true, false]);
        assert_eq!(e.mask("Z"), Some(&z), "{order:?}");
        assert_eq!(e.mask("V_T"), Some(&mask(&[1, 2], &[true, false])), "{order:?}");
    }
}

#[test]
fn recurrent_spikes_carry_an_undecided_step_through_non_zero_weights() {
    for (r, reached) in [([0.0, 0.0, 0.0, 0.0], false), ([0.0, 0.0, 1.0, 0.0], true)] {
        let mut g = Graph::new("rec");
        let x = input(&mut g, "X", DType::F32, &[3, 1, 1]);
        let w = constant(&mut g, t32(&[2, 1], &[1.0, 0.5]), "W");
        let rr = constant(&mut g, t32(&[2, 2], &r), "R");
        let p = iaf(Order::IntegrateThenFire);
        let outs = g
            .add_node(
                "l",
                Op::IafRecurrent(p),
                vec![Some(x), Some(w), Some(rr)],
                &[Some("Z"), Some("V_T"), Some("Z_T")],
            )
            .unwrap();
        for o in outs.iter().flatten() {
            g.add_output(*o).unwrap();
        }
        let feed = [("X".into(), t32(&[3, 1, 1], &[1.000005, 0.0, 0.0]))];
        let e = excused(&g, &feed).unwrap();
        assert_eq!(e.decisions, 1);
        // Neuron 1 hears neuron 0's step-0 spike from step 1 on, through R[1,0].
        let z = mask(&[3, 1, 2], &[true, false, true, reached, true, reached]);
        assert_eq!(e.mask("Z"), Some(&z), "R = {r:?}");
        assert_eq!(e.mask("Z_T"), Some(&mask(&[1, 2], &[true, reached])));
    }
}

#[test]
fn required_gradients_are_inputs_and_multi_element_weights() {
    let mut g = Graph::new("req");
    let x = input(&mut g, "x", DType::F32, &[2]);
    let n = input(&mut g, "n", DType::I64, &[2]);
    let w = g.add_initializer("w", t32(&[2], &[1.0, 2.0])).unwrap();
    let th = g.add_initializer("th", t32(&[], &[1.0])).unwrap();
    let a = op(&mut g, Op::Mul, &[x, w], "a");
    let b = op(&mut g, Op::Sub, &[a, th], "b");
    g.add_output(b).unwrap();
    g.add_output(n).unwrap();
    let want: Vec<String> = vec!["w".into(), "x".into()];
    assert_eq!(required_gradients(&g).into_iter().collect::<Vec<_>>(), want);
}

#[test]
fn the_contract_excuses_undecided_spikes_only() {
    let g = plain_layer();
    let x = t32(&[2, 3], &[2.000015, 0.5, 3.0, 1.0, 2.1, 2.5]);
    let c = Contract::new(&g, &[("x".into(), x.clone())]).unwrap();
    let want = snnc_interp::run(&g, &[("x".into(), x)]).unwrap();
    assert!(c.compare_outputs(&want, &want, |n, _| n != "y").is_empty());
    let flip = |name: &str, k: usize| -> Vec<(String, Tensor)> {
        let mut got = want.clone();
        let t = &mut got.iter_mut().find(|(n, _)| n == name).unwrap().1;
        let mut v = t.to_f64();
        let e = v.iter_mut().nth(k).unwrap();
        *e = 1.0 - *e;
        *t = Tensor::from_f64(DType::F32, v);
        got
    };
    // z[0,0] decided at 1.5e-5 from its threshold: it may flip, and y[0,0] with it.
    let mut got = flip("z", 0);
    got = {
        let mut g2 = got.clone();
        let y = &mut g2.iter_mut().find(|(n, _)| n == "y").unwrap().1;
        let mut v = y.to_f64();
        v[[0, 0]] += 1.0;
        *y = Tensor::from_f64(DType::F32, v);
        g2
    };
    assert!(c.compare_outputs(&got, &want, |n, _| n != "y").is_empty());
    // z[0,2] = 1 with x − 2 = 1: a flip there is a mismatch.
    let bad = c.compare_outputs(&flip("z", 2), &want, |n, _| n != "y");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].starts_with("z: 1 of 6 elements differ (1 excused); first [2]"), "{bad:?}");
    // The potential y[0,1] is reached by no undecided spike: it must agree.
    let mut got = want.clone();
    got[1].1 = Tensor::from_f64(DType::F32, {
        let mut v = want[1].1.to_f64();
        v[[0, 1]] += 0.5;
        v
    });
    assert_eq!(c.compare_outputs(&got, &want, |n, _| n != "y").len(), 1);
    // With an undecided spike gradients are not compared, but a required one must be there.
    assert!(!c.gradients_compared());
    let grads = vec![("x".to_string(), t32(&[2, 3], &[0.0; 6]))];
    assert!(c.compare_gradients(&[("x".into(), t32(&[2, 3], &[1.0; 6]))], &grads).is_empty());
    assert_eq!(c.compare_gradients(&[], &grads), ["gradient 'x' is missing"]);
}
