//! Pass `fuse-linear-iaf` on small graphs: which pairs it fuses and which it must not, and
//! `Plan::validate` refusing fused steps whose parts do not fit.

use snnc_ir::{DType, Graph, IafParams, Op, Tensor, TensorType, ValueId};

use crate::{compile, Kernel, Plan, PASSES};

/// `x [4, 2, 3] → Linear(w [5, 3]) → h → IAF → (z, v)`; returns the graph and `h`.
fn graph() -> (Graph, ValueId) {
    let mut g = Graph::new("pair");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![4, 2, 3])).unwrap();
    let w = Tensor::F32(ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[5, 3]), |i| {
        (i[0] + 2 * i[1]) as f32 * 0.1
    }));
    let w = g.add_initializer("w", w).unwrap();
    let h = g
        .add_node("lin", Op::Linear { trans_b: true }, vec![Some(x), Some(w)], &[Some("h")])
        .unwrap()[0]
        .unwrap();
    let z = g
        .add_node("iaf", Op::Iaf(IafParams::default()), vec![Some(h)], &[Some("z"), Some("v")])
        .unwrap();
    g.add_output(z[0].unwrap()).unwrap();
    (g, h)
}

fn fused(p: &Plan) -> [usize; 2] {
    [p.infer(), p.train()]
        .map(|prog| prog.steps.iter().filter(|s| matches!(s.kernel, Kernel::LinearIaf(_))).count())
}

#[test]
fn a_linear_read_only_by_its_iaf_is_fused_in_both_programs() {
    assert!(PASSES.contains(&"fuse-linear-iaf"));
    let p = compile(&graph().0, &Default::default()).unwrap();
    assert_eq!(fused(&p), [1, 1]);
    let s = &p.infer().steps[0];
    let Kernel::LinearIaf(k) = &s.kernel else { panic!("{:?}", s.kernel) };
    assert_eq!(p.nodes()[s.node as usize].0, "lin");
    assert_eq!(p.nodes()[k.iaf_node as usize].0, "iaf");
    assert_eq!(k.iaf.x, k.linear.y);
    assert_eq!(p.infer().steps.len(), 1);
    // The fused step is a forward step; the training program's backward follows it.
    assert_eq!(p.train().forward_len, 1);
}

#[test]
fn currents_anything_else_reads_are_not_fused() {
    let (mut g, h) = graph();
    g.add_output(h).unwrap();
    assert_eq!(fused(&compile(&g, &Default::default()).unwrap()), [0, 0], "a graph output");
    let (mut g, h) = graph();
    let y = g.add_node("neg", Op::Neg, vec![Some(h)], &[Some("y")]).unwrap()[0].unwrap();
    g.add_output(y).unwrap();
    assert_eq!(fused(&compile(&g, &Default::default()).unwrap()), [0, 0], "another op");
}

/// A change that makes a fused step invalid.
type Break = fn(&mut crate::LinearIafK);

#[test]
fn validation_refuses_fused_steps_whose_parts_do_not_fit() {
    let p = compile(&graph().0, &Default::default()).unwrap();
    let breaks: [(&str, Break); 4] = [
        ("parts do not fit", |k| k.iaf.x = k.linear.x),
        ("not event-driven", |k| k.linear.event = None),
        ("share a buffer", |k| k.iaf.v0 = Some(k.linear.w)),
        ("missing node", |k| k.iaf_node = u32::MAX),
    ];
    for (what, f) in breaks {
        let mut q = p.clone();
        let Kernel::LinearIaf(k) = &mut q.infer.steps[0].kernel else { panic!("fused") };
        f(k);
        let e = q.validate().unwrap_err().to_string();
        assert!(e.contains(what), "{what}: {e}");
    }
}

/// `x [4, 2, 3] → Linear → h → IAF` with a current-based leak (α = 0.8, β = 0.9, γ = 0.5,
/// V_T before the reset), U0 a graph input and U_T an output: Z, V_T and U_T all outputs.
fn leaky_graph() -> Graph {
    let mut g = Graph::new("leaky");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![4, 2, 3])).unwrap();
    let u0 = g.add_input("u0", TensorType::new(DType::F32, vec![2, 5])).unwrap();
    let w = Tensor::F32(ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[5, 3]), |i| {
        (i[0] + 2 * i[1]) as f32 * 0.1
    }));
    let w = g.add_initializer("w", w).unwrap();
    let h = g
        .add_node("lin", Op::Linear { trans_b: true }, vec![Some(x), Some(w)], &[Some("h")])
        .unwrap()[0]
        .unwrap();
    let mut p = IafParams { order: snnc_ir::Order::IntegrateThenFire, ..IafParams::default() };
    p.leak.alpha = vec![0.8];
    p.leak.beta = vec![0.9];
    p.leak.gamma = vec![0.5];
    p.v_out = snnc_ir::VOut::BeforeReset;
    let outs = g
        .add_node(
            "lif",
            Op::Iaf(p),
            vec![Some(h), None, Some(u0)],
            &[Some("z"), Some("v"), Some("u")],
        )
        .unwrap();
    for o in outs {
        g.add_output(o.unwrap()).unwrap();
    }
    g
}

/// A leaky cell lowers (its U0 and U_T are buffers of the kernels, forward and backward), is
/// fused with its linear layer like the IF cell, round-trips through the plan file, and is
/// named by [`Kernel::leaky`], which engines without leaky kernels refuse.
#[test]
fn a_leaky_cell_lowers_fuses_and_round_trips() {
    let p = compile(&leaky_graph(), &Default::default()).unwrap();
    assert_eq!(fused(&p), [1, 1]);
    let Kernel::LinearIaf(k) = &p.infer().steps[0].kernel else { panic!("fused") };
    assert!(k.iaf.u0.is_some() && k.iaf.u_last.is_some());
    let leaky = p.infer().steps[0].kernel.leaky().expect("leaky");
    assert!(leaky.contains("alpha_syn") && leaky.contains("before_reset"), "{leaky}");
    let back = p.train().steps.iter().find_map(|s| match &s.kernel {
        Kernel::IafBack(k) => Some(k),
        _ => None,
    });
    let back = back.expect("a reverse-time kernel");
    assert!(back.gu_last.is_some() && back.gu0.is_some());
    let bytes = p.to_bytes();
    let q = Plan::from_bytes(&bytes, std::path::Path::new("leaky.plan")).unwrap();
    assert_eq!(q.to_bytes(), bytes);
    // The IF cell is not leaky.
    let p = compile(&graph().0, &Default::default()).unwrap();
    assert!(p.infer().steps.iter().all(|s| s.kernel.leaky().is_none()));
}

/// Only a cell with a synaptic current has U buffers, and parameters must fit the neurons.
#[test]
fn validation_refuses_currents_without_synapse_and_bad_parameters() {
    let p = compile(&graph().0, &Default::default()).unwrap();
    let mut q = p.clone();
    let Kernel::LinearIaf(k) = &mut q.infer.steps[0].kernel else { panic!("fused") };
    k.iaf.u_last = Some(k.iaf.z.expect("z"));
    let e = q.validate().unwrap_err().to_string();
    assert!(e.contains("without a current"), "{e}");
    let mut q = p.clone();
    let Kernel::LinearIaf(k) = &mut q.infer.steps[0].kernel else { panic!("fused") };
    k.iaf.params.leak.beta = vec![0.5; 4];
    let e = q.validate().unwrap_err().to_string();
    assert!(e.contains("beta"), "{e}");
}

/// `x [4, 2, 3] → Linear → h`, then `u0 = Mul(u, 1.25)` (a parameter `u`, so a run-time
/// step, as Norse's exported `LIFCell` has it), then the leaky IAF on `h` with U0 `u0`; with
/// `read_h`, the Mul reads `h` instead (its output a graph output) and U0 is `u` itself.
fn leaky_graph_with_u0_step(read_h: bool) -> Graph {
    let mut g = Graph::new("leaky-u0");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![4, 2, 3])).unwrap();
    let w = Tensor::F32(ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[5, 3]), |i| {
        (i[0] + 2 * i[1]) as f32 * 0.1
    }));
    let w = g.add_initializer("w", w).unwrap();
    let u = Tensor::F32(ndarray::ArrayD::zeros(ndarray::IxDyn(&[2, 5])));
    let u = g.add_initializer("u", u).unwrap();
    let k = Tensor::F32(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), 1.25f32));
    let k = g.add_initializer("k", k).unwrap();
    let h = g
        .add_node("lin", Op::Linear { trans_b: true }, vec![Some(x), Some(w)], &[Some("h")])
        .unwrap()[0]
        .unwrap();
    let lhs = if read_h { h } else { u };
    let y = g.add_node("mul", Op::Mul, vec![Some(lhs), Some(k)], &[Some("y")]).unwrap()[0];
    let u0 = if read_h { Some(u) } else { y };
    let mut p = IafParams { order: snnc_ir::Order::IntegrateThenFire, ..IafParams::default() };
    p.leak.alpha = vec![0.8];
    p.leak.beta = vec![0.9];
    p.leak.gamma = vec![0.1];
    let outs = g.add_node("lif", Op::Iaf(p), vec![Some(h), None, u0], &[Some("z")]).unwrap();
    g.add_output(outs[0].unwrap()).unwrap();
    if read_h {
        g.add_output(y.unwrap()).unwrap();
    }
    g
}

/// A step between the linear step and its IAF that touches none of the linear step's buffers
/// (U0 computed at run time) moves before the linear step, and the pair fuses; one that reads
/// the currents keeps the pair apart.
#[test]
fn an_independent_step_between_moves_before_the_pair() {
    let p = compile(&leaky_graph_with_u0_step(false), &Default::default()).unwrap();
    assert_eq!(fused(&p), [1, 1]);
    for prog in [p.infer(), p.train()] {
        let (mul, lin) = (position(&p, prog, "mul"), position(&p, prog, "lin"));
        assert!(mul < lin, "the Mul runs first: {:?}", prog.steps);
        let Kernel::LinearIaf(k) = &prog.steps[lin].kernel else { panic!("fused") };
        // The fused IAF reads the Mul's output as its U0.
        let mul_out = prog.steps[mul].kernel.access().writes;
        assert_eq!(mul_out, vec![k.iaf.u0.expect("u0")]);
        assert!(lin < prog.forward_len);
    }
    let p = compile(&leaky_graph_with_u0_step(true), &Default::default()).unwrap();
    assert_eq!(fused(&p), [0, 0]);
    for prog in [p.infer(), p.train()] {
        assert!(position(&p, prog, "lin") < position(&p, prog, "mul"), "{:?}", prog.steps);
    }
}

/// The index of the first step of node `name` in `prog`.
fn position(p: &Plan, prog: &crate::Program, name: &str) -> usize {
    prog.steps.iter().position(|s| p.nodes()[s.node as usize].0 == name).expect(name)
}

/// Two leaky layers, `x [4, 2, 3] → Linear → LIF → SpikeLinear → LIF`, each with its U0
/// computed at run time (`Mul(u, 1.25)`), the second one's `Mul` between its linear step and
/// its IAF step as Norse's export orders them.
fn two_leaky_layers() -> Graph {
    let mut g = Graph::new("leaky-2");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![4, 2, 3])).unwrap();
    let k = Tensor::F32(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), 1.25f32));
    let k = g.add_initializer("k", k).unwrap();
    let mut p = IafParams { order: snnc_ir::Order::IntegrateThenFire, ..IafParams::default() };
    (p.leak.alpha, p.leak.beta, p.leak.gamma) = (vec![0.8], vec![0.9], vec![0.1]);
    let mut z = x;
    for (l, (n, op)) in [(5, Op::Linear { trans_b: true }), (4, Op::SpikeLinear { trans_b: true })]
        .into_iter()
        .enumerate()
    {
        let inputs = if l == 0 { 3 } else { 5 };
        let w = Tensor::F32(ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[n, inputs]), |i| {
            (i[0] + 2 * i[1]) as f32 * 0.1
        }));
        let w = g.add_initializer(&format!("w{l}"), w).unwrap();
        let u = Tensor::F32(ndarray::ArrayD::zeros(ndarray::IxDyn(&[2, n])));
        let u = g.add_initializer(&format!("u{l}"), u).unwrap();
        let h =
            g.add_node(&format!("lin{l}"), op, vec![Some(z), Some(w)], &[Some(&format!("h{l}"))]);
        let h = h.unwrap()[0];
        let u0 = g.add_node(
            &format!("mul{l}"),
            Op::Mul,
            vec![Some(u), Some(k)],
            &[Some(&format!("u0_{l}"))],
        );
        let u0 = u0.unwrap()[0];
        let lif = g.add_node(
            &format!("lif{l}"),
            Op::Iaf(p.clone()),
            vec![h, None, u0],
            &[Some(&format!("z{l}"))],
        );
        z = lif.unwrap()[0].unwrap();
    }
    g.add_output(z).unwrap();
    g
}

/// Both layers fuse, and at inference the second layer's U0 step also moves before the first
/// layer, so that the two fused steps are adjacent (the engine then hands the spikes over as
/// bits); in training the packing of the first layer's spikes for the second layer's dW reads
/// them, so it stays between the two.
#[test]
fn independent_steps_move_above_the_layers_before_them() {
    let p = compile(&two_leaky_layers(), &Default::default()).unwrap();
    assert_eq!(fused(&p), [2, 2]);
    let at = |prog: &crate::Program| -> Vec<usize> {
        let steps = prog.steps.iter().enumerate();
        steps.filter(|(_, s)| matches!(s.kernel, Kernel::LinearIaf(_))).map(|(i, _)| i).collect()
    };
    let infer = at(p.infer());
    assert_eq!(infer[1], infer[0] + 1, "{:?}", p.infer().steps);
    for name in ["mul0", "mul1"] {
        assert!(position(&p, p.infer(), name) < infer[0], "{name}: {:?}", p.infer().steps);
    }
    let train = at(p.train());
    let pack = p.train().steps.iter().position(|s| matches!(s.kernel, Kernel::PackBits(_)));
    let pack = pack.expect("the second layer's input packed for its dW");
    assert!(train[0] < pack && pack < train[1], "{:?}", p.train().steps);
    assert!(train[1] < p.train().forward_len);
}
