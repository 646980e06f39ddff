//! Graph building, type inference and the verifier.

use snnc_ir::*;

fn f32t(shape: &[usize]) -> TensorType {
    TensorType::new(DType::F32, shape.to_vec())
}

fn int(values: &[i64]) -> Tensor {
    Tensor::I64(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[values.len()]), values.to_vec()).unwrap(),
    )
}

#[test]
fn gemm_matmul_and_broadcast_types() {
    let mut g = Graph::new("t");
    let x = g.add_input("x", f32t(&[4, 3])).unwrap();
    let w = g.add_initializer("w", Tensor::zeros(DType::F32, &[5, 3])).unwrap();
    let b = g.add_initializer("b", Tensor::zeros(DType::F32, &[5])).unwrap();
    let op = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true };
    let y =
        g.add_node("fc", op, vec![Some(x), Some(w), Some(b)], &[Some("y")]).unwrap()[0].unwrap();
    assert_eq!(g.ty(y), &f32t(&[4, 5]));
    let s = g.add_input("s", f32t(&[7, 4, 5])).unwrap();
    let m = g.add_node("mm", Op::MatMul, vec![Some(x), Some(w)], &[Some("m")]);
    assert!(m.unwrap_err().to_string().contains("node 'mm' (MatMul)"));
    let wt = g.add_initializer("wt", Tensor::zeros(DType::F32, &[5, 2])).unwrap();
    let m = g.add_node("mm2", Op::MatMul, vec![Some(s), Some(wt)], &[Some("m")]).unwrap()[0];
    assert_eq!(g.ty(m.unwrap()), &f32t(&[7, 4, 2]));
    let a = g.add_node("add", Op::Add, vec![Some(s), Some(y)], &[Some("a")]).unwrap()[0];
    assert_eq!(g.ty(a.unwrap()), &f32t(&[7, 4, 5]));
    g.add_output(a.unwrap()).unwrap();
    verify(&g).unwrap();
}

#[test]
fn shape_ops() {
    let mut g = Graph::new("t");
    let x = g.add_input("x", f32t(&[8, 2, 6])).unwrap();
    let t = g.add_initializer("t", Tensor::I64(ndarray::arr0(3).into_dyn())).unwrap();
    let s =
        g.add_node("", Op::Gather { axis: 0 }, vec![Some(x), Some(t)], &[Some("s")]).unwrap()[0];
    assert_eq!(g.ty(s.unwrap()), &f32t(&[2, 6]));
    let idx = g.add_initializer("idx", int(&[0, -1])).unwrap();
    let s2 =
        g.add_node("", Op::Gather { axis: -1 }, vec![Some(x), Some(idx)], &[Some("s2")]).unwrap();
    assert_eq!(g.ty(s2[0].unwrap()), &f32t(&[8, 2, 2]));
    let u = g.add_node("", Op::Unsqueeze { axes: vec![0] }, vec![s], &[Some("u")]).unwrap()[0];
    assert_eq!(g.ty(u.unwrap()), &f32t(&[1, 2, 6]));
    let c = g.add_node("", Op::Concat { axis: 0 }, vec![u, u, u], &[Some("c")]).unwrap()[0];
    assert_eq!(g.ty(c.unwrap()), &f32t(&[3, 2, 6]));
    let r = g.add_node("", Op::Reshape { shape: vec![0, -1] }, vec![c], &[Some("r")]).unwrap()[0];
    assert_eq!(g.ty(r.unwrap()), &f32t(&[3, 12]));
    let p = g.add_node("", Op::Transpose { perm: vec![] }, vec![r], &[Some("p")]).unwrap()[0];
    assert_eq!(g.ty(p.unwrap()), &f32t(&[12, 3]));
    let q = g.add_node("", Op::Squeeze { axes: vec![] }, vec![u], &[Some("q")]).unwrap()[0];
    assert_eq!(g.ty(q.unwrap()), &f32t(&[2, 6]));
    let bad = g.add_node("sq", Op::Squeeze { axes: vec![1] }, vec![u], &[Some("q2")]);
    assert!(bad.unwrap_err().to_string().contains("cannot squeeze axis 1"));
    let bad = g.add_node("rs", Op::Reshape { shape: vec![5, -1] }, vec![c], &[Some("r2")]);
    assert!(bad.is_err());
}

#[test]
fn iaf_ops_check_shapes_and_params() {
    let mut g = Graph::new("t");
    let x = g.add_input("x", f32t(&[8, 2, 6])).unwrap();
    let p = IafParams { v_th: vec![1.0; 6], ..IafParams::default() };
    let out = g.add_node("cell", Op::Iaf(p), vec![Some(x)], &[Some("z"), Some("v")]).unwrap();
    assert_eq!(g.ty(out[0].unwrap()), &f32t(&[8, 2, 6]));
    assert_eq!(g.ty(out[1].unwrap()), &f32t(&[2, 6]));
    let p = IafParams { v_th: vec![1.0; 5], ..IafParams::default() };
    let e = g.add_node("bad", Op::Iaf(p), vec![Some(x)], &[Some("z2")]).unwrap_err().to_string();
    assert!(e.contains("node 'bad' (IAF)") && e.contains("v_th has 5 values"), "{e}");
    let w = g.add_initializer("w", Tensor::zeros(DType::F32, &[4, 6])).unwrap();
    let r = g.add_initializer("r", Tensor::zeros(DType::F32, &[4, 4])).unwrap();
    let op = Op::IafRecurrent(IafParams::default());
    let o = g.add_node("rec", op, vec![Some(x), Some(w), Some(r)], &[Some("zr"), None, Some("zt")]);
    let o = o.unwrap();
    assert_eq!(g.ty(o[0].unwrap()), &f32t(&[8, 2, 4]));
    assert!(o[1].is_none());
    let op = Op::IafRecurrent(IafParams::default());
    let e = g.add_node("rec2", op, vec![Some(x), Some(r), Some(r)], &[Some("zr2")]).unwrap_err();
    assert!(e.to_string().contains("W must be"), "{e}");
}

#[test]
fn builder_refuses_duplicates_and_huge_types() {
    let mut g = Graph::new("t");
    g.add_input("x", f32t(&[2])).unwrap();
    assert!(g.add_input("x", f32t(&[2])).unwrap_err().to_string().contains("more than once"));
    let e = g.add_input("big", f32t(&[1 << 20, 1 << 20])).unwrap_err().to_string();
    assert!(e.contains("exceeds the limit"), "{e}");
    let e = g.add_input("overflow", f32t(&[usize::MAX, 3])).unwrap_err().to_string();
    assert!(e.contains("exceeds the limit"), "{e}");
    assert!(verify(&g).unwrap_err().to_string().contains("no outputs"));
}

#[test]
fn surrogate_parsing_and_values() {
    let s: Surrogate = "triangle:0.5".parse().unwrap();
    assert_eq!(s.method, Method::Triangle);
    assert_eq!(s.derivative(0.25), 0.5 * 0.75);
    assert_eq!("super".parse::<Surrogate>().unwrap(), Surrogate::default());
    assert!("bogus:1".parse::<Surrogate>().is_err());
    assert!("tanh:0".parse::<Surrogate>().is_err());
    assert!("tanh:abc".parse::<Surrogate>().is_err());
    let s = Surrogate::new(Method::Super, 2.0).unwrap();
    assert_eq!(s.derivative(-0.5), 0.25);
    let s = Surrogate::new(Method::Circ, 1.0).unwrap();
    assert!((s.derivative(0.0) - 1.0).abs() < 1e-12);
    assert_eq!("integrate_then_fire".parse::<Order>().unwrap(), Order::IntegrateThenFire);
    assert!("sideways".parse::<Order>().is_err());
}

#[test]
fn set_initializer_keeps_the_declared_type() {
    let mut g = Graph::new("g");
    let w = g.add_initializer("w", int(&[1, 2])).unwrap();
    let x = g.add_input("x", f32t(&[2])).unwrap();
    assert_eq!(g.set_initializer(w, int(&[3, 4])).unwrap(), int(&[1, 2]));
    assert_eq!(g.initializer(w), Some(&int(&[3, 4])));
    let e = g.set_initializer(w, int(&[1, 2, 3])).unwrap_err().to_string();
    assert!(e.contains("initializer 'w'") && e.contains("cannot replace"), "{e}");
    let e = g.set_initializer(x, int(&[1, 2])).unwrap_err().to_string();
    assert!(e.contains("'x' is not an initializer"), "{e}");
    assert_eq!(g.initializer(w), Some(&int(&[3, 4])));
}
