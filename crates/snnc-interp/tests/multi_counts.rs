//! sinabs' multi-spike count as a plain export spells it, `Cast(Greater(v, 0))·(Sign(d)·
//! Floor(Abs(d)))` with d = v or v / th: forward it is `[v > 0]·trunc(v / th)`, and backward
//! σ'(v − th) to v (SPEC §1.1), whatever the operand order; a product that only looks alike (a
//! nonzero comparison constant) keeps the ops' own gradients.

mod common;

use common::*;
use snnc_interp::{grad, GradOptions};
use snnc_ir::{DType, Graph, Op, Surrogate};

const V: [f32; 6] = [-1.5, 0.25, 0.9, 1.0, 2.75, 4.5];

/// The count of `v` ([2, 3]) with threshold `th` (`None`: spelled without the division),
/// comparing against `c0`; `swap` flips every product's operand order.
fn count(th: Option<f32>, c0: f32, swap: bool) -> Graph {
    let mut g = Graph::new("count");
    let v = input(&mut g, "v", DType::F32, &[2, 3]);
    let zero = g.add_initializer("c0", t32(&[], &[c0])).unwrap();
    let d = match th {
        Some(t) => {
            let th = g.add_initializer("th", t32(&[], &[t])).unwrap();
            op(&mut g, Op::Div, &[v, th], "d")
        }
        None => v,
    };
    let gt = op(&mut g, Op::Greater, &[v, zero], "gt");
    let pos = op(&mut g, Op::Cast { to: DType::F32 }, &[gt], "pos");
    let abs = op(&mut g, Op::Abs, &[d], "abs");
    let floor = op(&mut g, Op::Floor, &[abs], "floor");
    let sign = op(&mut g, Op::Sign, &[d], "sign");
    let pair = |a, b| if swap { [b, a] } else { [a, b] };
    let tr = op(&mut g, Op::Mul, &pair(floor, sign), "trunc");
    let z = op(&mut g, Op::Mul, &pair(pos, tr), "z");
    g.add_output(z).unwrap();
    g
}

fn grad_of_v(g: &Graph, sg: Surrogate) -> (Vec<f64>, Vec<f64>) {
    let inputs = vec![("v".to_string(), t32(&[2, 3], &V))];
    let up = vec![("z".to_string(), t32(&[2, 3], &[1.0; 6]))];
    let opts = GradOptions { surrogate: sg, ..Default::default() };
    let r = grad(g, &inputs, &up, &opts).unwrap();
    let z = r.outputs[0].1.to_f64().iter().copied().collect();
    let gv = r.grads.iter().find(|(n, _)| n == "v").unwrap().1.to_f64().iter().copied().collect();
    (z, gv)
}

#[test]
fn the_count_is_trunc_forward_and_the_surrogate_at_v_minus_th_backward() {
    let sg: Surrogate = "atan:2".parse().unwrap();
    for (th, swap) in [(None, false), (None, true), (Some(0.5f32), false), (Some(0.5), true)] {
        let (z, gv) = grad_of_v(&count(th, 0.0, swap), sg);
        let t = f64::from(th.unwrap_or(1.0));
        for (k, &v) in V.iter().enumerate() {
            let v = f64::from(v);
            let want = if v > 0.0 { (v / t).trunc() } else { 0.0 };
            assert_eq!(z[k], want, "{th:?} {swap}: z at v = {v}");
            let d = sg.derivative(v - t);
            assert!((gv[k] - d).abs() < 1e-6, "{th:?} {swap}: ∂z/∂v at {v}: {} vs {d}", gv[k]);
        }
    }
}

#[test]
fn a_comparison_with_another_constant_is_no_count() {
    let sg: Surrogate = "atan:2".parse().unwrap();
    let (_, gv) = grad_of_v(&count(None, 0.5, false), sg);
    // The ops' own rules: the comparison's surrogate at v − 0.5 times trunc(v), Floor's 0.
    for (k, &v) in V.iter().enumerate() {
        let v = f64::from(v);
        let want = sg.derivative(v - 0.5) * v.trunc();
        assert!((gv[k] - want).abs() < 1e-6, "at {v}: {} vs {want}", gv[k]);
    }
}
