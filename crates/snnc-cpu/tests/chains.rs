//! Elementwise chains in training: the forward chain runs as one loop that still stores what
//! the backward reads, the gradient chain runs as one kernel (`fuse-gradients`), a reshape's
//! gradient is its output's buffer, and piecewise-constant ops stop the gradient. Outputs and
//! gradients against the reference interpreter, bitwise across threads and a saved plan.

mod common;

use common::*;
use snnc_ir::{DType, Graph, Op, Tensor, TensorType, ValueId};
use snnc_plan::Kernel;

fn node(g: &mut Graph, op: Op, ins: &[ValueId], out: &str) -> ValueId {
    let ins = ins.iter().map(|&i| Some(i)).collect();
    g.add_node("", op, ins, &[Some(out)]).unwrap()[0].unwrap()
}

/// sinabs' sum pool spelling `sign(p)·relu(|p|)·4` (a constant 4, as an exporter folds it),
/// reshaped, then `tanh(sigmoid(·))·x`; and a
/// `floor(x)·w` branch through which x gets no gradient.
fn chains() -> Graph {
    let mut g = Graph::new("chains");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![4, 6, 8])).unwrap();
    let w = g.add_initializer("w", tensor(&[8], -1.0, 1.0, 7)).unwrap();
    let four = node(&mut g, Op::Constant { value: Tensor::scalar_f32(4.0) }, &[], "four");
    let p = node(&mut g, Op::Mul, &[x, w], "p");
    let s = node(&mut g, Op::Sign, &[p], "s");
    let a = node(&mut g, Op::Abs, &[p], "a");
    let r = node(&mut g, Op::Relu, &[a], "r");
    let m = node(&mut g, Op::Mul, &[s, r], "m");
    let y1 = node(&mut g, Op::Mul, &[m, four], "y1");
    let y1r = node(&mut g, Op::Reshape { shape: vec![24, 8] }, &[y1], "y1r");
    let q = node(&mut g, Op::Sigmoid, &[y1r], "q");
    let t = node(&mut g, Op::Tanh, &[q], "t");
    let xr = node(&mut g, Op::Reshape { shape: vec![24, 8] }, &[x], "xr");
    let y2 = node(&mut g, Op::Mul, &[t, xr], "y2");
    let f = node(&mut g, Op::Floor, &[x], "f");
    let y3 = node(&mut g, Op::Mul, &[f, w], "y3");
    g.add_output(y2).unwrap();
    g.add_output(y3).unwrap();
    g
}

#[test]
fn chains_match_the_reference() {
    let g = chains();
    let inputs = vec![("x".to_string(), tensor(&[4, 6, 8], -2.0, 2.0, 3))];
    check_graph(&g, &inputs, Default::default());
}

#[test]
fn chains_run_as_one_kernel_each_way() {
    let plan = snnc_plan::compile(&chains(), &Default::default()).unwrap();
    let prog = plan.train();
    let (fwd, bwd) = prog.steps.split_at(prog.forward_len);
    // p, then sign/abs/relu/mul/mul in one loop storing what the backward reads, then
    // sigmoid/tanh/mul, floor/mul.
    let ew: Vec<_> = fwd
        .iter()
        .filter_map(|s| match &s.kernel {
            Kernel::Ew(k) => Some(k.stores.len()),
            _ => None,
        })
        .collect();
    assert!(ew.len() <= 4, "forward elementwise kernels: {ew:?}");
    assert!(ew.iter().any(|&n| n >= 3), "no merged loop keeps its saved values: {ew:?}");
    // Relu ← Mul(s, ·) ← Mul(·, 4) ← (reshape) ← Sigmoid ← Tanh ← Mul(·, xr) is one chain;
    // Sign and Floor send nothing back, and no reshape copies a gradient.
    let links: Vec<usize> = bwd
        .iter()
        .filter_map(|s| match &s.kernel {
            Kernel::EwGrad(k) => Some(k.pre.len()),
            _ => None,
        })
        .collect();
    assert!(links.iter().any(|&n| n >= 6), "gradient chains: {links:?}");
    assert!(links.len() <= 7, "gradient kernels: {links:?}");
    assert!(!bwd.iter().any(|s| matches!(s.kernel, Kernel::AddInto(_))), "a reshape copied");
}
