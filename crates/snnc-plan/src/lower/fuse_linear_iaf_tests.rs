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
