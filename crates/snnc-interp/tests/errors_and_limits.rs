//! Input checking, error messages, and long graphs.

mod common;

use common::*;
use snnc_interp::{grad, run, spike_margins, GradOptions, InterpError};
use snnc_ir::{BindError, DType, Graph, Op, Tensor};

fn add_graph() -> Graph {
    let mut g = Graph::new("add");
    let a = input(&mut g, "a", DType::F32, &[2, 3]);
    let n = input(&mut g, "n", DType::I64, &[]);
    let y = op(&mut g, Op::Add, &[a, a], "y");
    let i = constant(&mut g, ti64(&[1], &[0]), "i");
    let gy = op(&mut g, Op::Gather { axis: 0 }, &[y, i], "row");
    let nn = op(&mut g, Op::Add, &[n, n], "nn");
    g.add_output(gy).unwrap();
    g.add_output(nn).unwrap();
    g
}

fn ok_feed() -> Vec<(String, Tensor)> {
    vec![("a".into(), t32(&[2, 3], &[1., 2., 3., 4., 5., 6.])), ("n".into(), ti64(&[], &[4]))]
}

#[test]
fn valid_inputs_run_and_f64_data_feeds_f32_inputs() {
    let out = run(&add_graph(), &ok_feed()).unwrap();
    assert_eq!(out[0], ("row".to_string(), t32(&[1, 3], &[2., 4., 6.])));
    assert_eq!(out[1], ("nn".to_string(), ti64(&[], &[8])));
    let mut feed = ok_feed();
    feed[0].1 = t64(&[2, 3], &[0.1, 2., 3., 4., 5., 6.]);
    let out = run(&add_graph(), &feed).unwrap();
    assert_eq!(vals(&out[0].1)[0], (0.1f32 + 0.1f32) as f64, "f64 data is rounded to f32 first");
}

#[test]
fn input_errors_name_the_input() {
    let g = add_graph();
    let e = run(&g, &ok_feed()[..1]).unwrap_err();
    assert_eq!(
        e,
        InterpError::Bind(BindError::MissingInput { name: "n".into(), expected: "i64[]".into() })
    );
    let mut feed = ok_feed();
    feed.push(("b".into(), ti64(&[], &[1])));
    let e = run(&g, &feed).unwrap_err().to_string();
    assert!(e.contains("unknown input 'b'") && e.contains("a, n"), "{e}");
    let mut feed = ok_feed();
    feed.push(feed[1].clone());
    assert_eq!(
        run(&g, &feed).unwrap_err(),
        InterpError::Bind(BindError::DuplicateInput("n".into()))
    );
    let mut feed = ok_feed();
    feed[0].1 = t32(&[3, 2], &[0.; 6]);
    let e = run(&g, &feed).unwrap_err();
    assert_eq!(e.to_string(), "input 'a': expected f32[2,3], got f32[3,2]");
    let mut feed = ok_feed();
    feed[1].1 = t64(&[], &[4.0]);
    assert_eq!(run(&g, &feed).unwrap_err().to_string(), "input 'n': expected i64[], got f64[]");
    let mut feed = ok_feed();
    feed[0].1 = ti64(&[2, 3], &[0; 6]);
    assert_eq!(
        run(&g, &feed).unwrap_err().to_string(),
        "input 'a': expected f32[2,3], got i64[2,3]"
    );
}

#[test]
fn gather_out_of_range_names_the_node() {
    let mut g = Graph::new("gather");
    let d = input(&mut g, "d", DType::F32, &[3]);
    let i = input(&mut g, "i", DType::I64, &[2]);
    let y = op(&mut g, Op::Gather { axis: 0 }, &[d, i], "pick");
    g.add_output(y).unwrap();
    let feed = |idx: &[i64]| {
        vec![("d".to_string(), t32(&[3], &[1., 2., 3.])), ("i".to_string(), ti64(&[2], idx))]
    };
    assert_eq!(vals(&run(&g, &feed(&[-3, 2])).unwrap()[0].1), [1., 3.]);
    for bad in [[0, 3], [-4, 0]] {
        let e = run(&g, &feed(&bad)).unwrap_err();
        let InterpError::Node { node, op, msg } = &e else { panic!("{e:?}") };
        assert_eq!((node.as_str(), op.as_str()), ("pick", "Gather"));
        assert!(msg.contains("out of range"), "{msg}");
    }
}

#[test]
fn grad_output_errors() {
    let g = add_graph();
    let opts = GradOptions::default();
    let e = grad(&g, &ok_feed(), &[("y".into(), t32(&[2, 3], &[0.; 6]))], &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'y', which is not a graph output") && e.contains("row, nn"), "{e}");
    let e = grad(&g, &ok_feed(), &[("row".into(), t32(&[3], &[0.; 3]))], &opts)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "gradient for output 'row': expected float data of shape [1, 3], got f32[3]");
    let e = grad(&g, &ok_feed(), &[("nn".into(), t32(&[], &[1.]))], &opts).unwrap_err().to_string();
    assert!(e.contains("integer output"), "{e}");
    let two = [("row".into(), t32(&[1, 3], &[1.; 3])), ("row".into(), t32(&[1, 3], &[1.; 3]))];
    assert_eq!(
        grad(&g, &ok_feed(), &two, &opts).unwrap_err(),
        InterpError::Bind(BindError::DuplicateGradOutput("row".into()))
    );
    // The gradient has the input's dtype; only float inputs get one.
    let r = grad(&g, &ok_feed(), &[("row".into(), t64(&[1, 3], &[1., 2., 3.]))], &opts).unwrap();
    assert_eq!(r.grads, vec![("a".to_string(), t32(&[2, 3], &[2., 4., 6., 0., 0., 0.]))]);
    let r = grad(&g, &ok_feed(), &[], &opts).unwrap();
    assert_eq!(r.grads, vec![("a".to_string(), t32(&[2, 3], &[0.; 6]))]);
}

/// A 100 000-node chain runs forward and backward (no recursion over the graph).
#[test]
fn deep_chain() {
    const N: usize = 100_000;
    let mut g = Graph::new("chain");
    let x = input(&mut g, "x", DType::F32, &[4]);
    let c = g.add_initializer("c", t32(&[1], &[0.5])).unwrap();
    let mut v = x;
    for i in 0..N {
        v = op(
            &mut g,
            if i % 2 == 0 { Op::Add } else { Op::Identity },
            &if i % 2 == 0 { vec![v, c] } else { vec![v] },
            &format!("n{i}"),
        );
    }
    g.add_output(v).unwrap();
    let feed = [("x".to_string(), t32(&[4], &[0., 1., 2., 3.]))];
    let out = run(&g, &feed).unwrap();
    let half = (N / 2) as f64 * 0.5;
    assert_eq!(vals(&out[0].1), [half, half + 1., half + 2., half + 3.]);
    let r = grad(
        &g,
        &feed,
        &[(format!("n{}", N - 1), t32(&[4], &[1., 1., 1., 2.]))],
        &GradOptions::default(),
    )
    .unwrap();
    assert_eq!(vals(get(&r.grads, "x")), [1., 1., 1., 2.]);
    assert_eq!(vals(get(&r.grads, "c")), [5.0 * (N / 2) as f64]);
}

#[test]
fn margins_of_plain_comparisons() {
    let mut g = Graph::new("m");
    let x = input(&mut g, "x", DType::F64, &[3]);
    let th = constant(&mut g, t64(&[], &[1.0]), "th");
    let c = op(&mut g, Op::Greater, &[x, th], "c");
    let l = op(&mut g, Op::Less, &[x, th], "l");
    let n = constant(&mut g, ti64(&[2], &[1, 1]), "n");
    let ni = op(&mut g, Op::Greater, &[n, n], "ni");
    for o in [c, l, ni] {
        g.add_output(o).unwrap();
    }
    let m = spike_margins(&g, &[("x".into(), t64(&[3], &[0.5, 1.25, 3.0]))]).unwrap();
    assert_eq!(m, 0.25, "integer comparisons are not spike decisions");
    let m = spike_margins(&g, &[("x".into(), t64(&[3], &[0.5, f64::NAN, 3.0]))]).unwrap();
    assert_eq!(m, 0.0);
    let mut g2 = Graph::new("none");
    let x = input(&mut g2, "x", DType::F64, &[1]);
    let y = op(&mut g2, Op::Relu, &[x], "y");
    g2.add_output(y).unwrap();
    assert_eq!(spike_margins(&g2, &[("x".into(), t64(&[1], &[0.0]))]).unwrap(), f64::INFINITY);
}
