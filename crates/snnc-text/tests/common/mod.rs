//! Helpers shared by the text-IR tests: temporary folders, example paths and a graph that uses
//! every op, every dtype and awkward names and numbers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};
use snnc_ir::{
    ConvSpec, DType, Graph, IafParams, Method, Op, Order, PoolKind, PoolSpec, ResetParams,
    SliceSpec, Surrogate, Tensor, TensorType, ValueId,
};

/// A fresh, empty temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("snnc-text-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// `models/text` in the repository.
pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/text")
}

/// Every `.snn` file in `models/text`, sorted.
pub fn example_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(models_dir())
        .expect("models/text exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "snn"))
        .collect();
    v.sort();
    v
}

/// Asserts structural, bit-exact equality with a helpful message.
pub fn assert_same(a: &Graph, b: &Graph) {
    if let Some(d) = snnc_text::graph_diff(a, b) {
        panic!("graphs differ: {d}");
    }
}

pub fn f32s(shape: &[usize], v: Vec<f32>) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
}

pub fn f64s(shape: &[usize], v: Vec<f64>) -> Tensor {
    Tensor::F64(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
}

pub fn i64s(shape: &[usize], v: Vec<i64>) -> Tensor {
    Tensor::I64(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
}

pub fn bools(shape: &[usize], v: Vec<bool>) -> Tensor {
    Tensor::Bool(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
}

/// Deterministic pseudo-random f32 values in [-1, 1).
pub fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Special f32 values that must survive printing bit for bit.
pub fn special_f32() -> Vec<f32> {
    vec![
        0.1,
        -0.0,
        0.0,
        1e-45,
        f32::MIN_POSITIVE / 3.0,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7fc0_0001),
        f32::from_bits(0xff80_0001),
        1.0 / 3.0,
        123456790.0,
    ]
}

/// Special f64 values.
pub fn special_f64() -> Vec<f64> {
    vec![
        0.1,
        -0.0,
        5e-324,
        f64::MAX,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        1.0 / 3.0,
        1e300,
    ]
}

fn iaf(v_th: Vec<f32>, v_reset: Vec<f32>, m: Method, alpha: f32, order: Order) -> IafParams {
    IafParams {
        v_th,
        v_reset,
        surrogate: Surrogate::new(m, alpha).expect("alpha"),
        order,
        family: Default::default(),
        ..Default::default()
    }
}

fn node(
    g: &mut Graph,
    name: &str,
    op: Op,
    ins: &[Option<ValueId>],
    outs: &[Option<&str>],
) -> ValueId {
    let o = g.add_node(name, op, ins.to_vec(), outs).unwrap_or_else(|e| panic!("{e}"));
    o.into_iter().flatten().next().unwrap_or(ValueId(usize::MAX))
}

/// A graph with every op, every dtype, odd names, special numbers, omitted inputs and outputs,
/// a node without outputs, and declarations interleaved with nodes.
pub fn all_ops_graph() -> Graph {
    let mut g = Graph::new("all ops \"graph\"");
    let f = |s: &[usize]| TensorType::new(DType::F32, s.to_vec());
    let x = g.add_input("x", f(&[4, 2, 3])).unwrap();
    let a = g.add_input("/fc1/Gemm_output_0", f(&[2, 3])).unwrap();
    let b = g.add_input("onnx::Gemm_0", f(&[3, 3])).unwrap();
    let c = g.add_initializer("input", f32s(&[3], vec![0.5, -1.5, 2.25])).unwrap();
    let gemm = Op::Gemm { alpha: 0.5, beta: -2.0, trans_a: false, trans_b: true };
    let y = node(&mut g, "/fc1/Gemm", gemm, &[Some(a), Some(b), Some(c)], &[Some("val_12")]);
    let plain = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: false };
    node(&mut g, "", plain, &[Some(a), Some(b)], &[Some("gemm2")]);
    let ta = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: true, trans_b: false };
    node(&mut g, "", ta, &[Some(b), Some(b)], &[Some("gemm3")]);
    let mm = node(&mut g, "", Op::MatMul, &[Some(x), Some(b)], &[Some("_")]);
    for (op, n) in [(Op::Add, "add"), (Op::Sub, "sub"), (Op::Mul, "mul"), (Op::Div, "div")] {
        node(&mut g, "", op, &[Some(y), Some(a)], &[Some(n)]);
    }
    node(&mut g, "Add_7", Op::Add, &[Some(mm), Some(c)], &[Some("inf")]);
    let neg = node(&mut g, "", Op::Neg, &[Some(y)], &[Some("nan")]);
    let gt = node(&mut g, "", Op::Greater, &[Some(neg), Some(a)], &[Some("gt")]);
    node(&mut g, "", Op::Less, &[Some(neg), Some(a)], &[Some("lt")]);
    for (to, n) in
        [(DType::F32, "c32"), (DType::F64, "c64"), (DType::I64, "ci"), (DType::Bool, "cb")]
    {
        node(&mut g, "", Op::Cast { to }, &[Some(gt)], &[Some(n)]);
    }
    node(&mut g, "", Op::Where, &[Some(gt), Some(a), Some(neg)], &[Some("where")]);
    // Declarations after some nodes keep their place in value order.
    let t1 = g.add_input("tab\there", TensorType::new(DType::I64, vec![2])).unwrap();
    let ti = g.add_initializer("t0", i64s(&[], vec![1])).unwrap();
    node(&mut g, "", Op::Gather { axis: 0 }, &[Some(x), Some(ti)], &[Some("x1")]);
    node(&mut g, "", Op::Gather { axis: -1 }, &[Some(x), Some(t1)], &[Some("xg")]);
    let u = node(&mut g, "", Op::Unsqueeze { axes: vec![0, -1] }, &[Some(a)], &[Some("u")]);
    node(&mut g, "", Op::Squeeze { axes: vec![0] }, &[Some(u)], &[Some("sq")]);
    node(&mut g, "", Op::Squeeze { axes: vec![] }, &[Some(u)], &[Some("sq_all")]);
    node(&mut g, "", Op::Concat { axis: -2 }, &[Some(a), Some(a), Some(y)], &[Some("cat")]);
    node(&mut g, "", Op::Reshape { shape: vec![3, -1] }, &[Some(a)], &[Some("rs")]);
    node(&mut g, "", Op::Reshape { shape: vec![0, 3, 1] }, &[Some(a)], &[Some("rs0")]);
    node(&mut g, "", Op::Transpose { perm: vec![1, 0] }, &[Some(a)], &[Some("tr")]);
    node(&mut g, "", Op::Transpose { perm: vec![] }, &[Some(x)], &[Some("tr_rev")]);
    let cw = g.add_initializer("conv.w", f32s(&[2, 2, 2], (0..8).map(|i| i as f32).collect()));
    let conv = ConvSpec { strides: vec![1], pads: vec![1, 0], dilations: vec![], group: 1 };
    node(&mut g, "", Op::Conv(conv), &[Some(x), Some(cw.unwrap())], &[Some("conv")]);
    let pool = |kind| PoolSpec { kind, kernel: vec![2], strides: vec![1], pads: vec![1, 1] };
    node(&mut g, "", Op::Pool(pool(PoolKind::Sum)), &[Some(x)], &[Some("sump")]);
    let avg = PoolKind::Avg { count_include_pad: true };
    node(&mut g, "", Op::Pool(pool(avg)), &[Some(x)], &[Some("avgp")]);
    node(&mut g, "", Op::Pool(pool(PoolKind::Max)), &[Some(x)], &[Some("maxp")]);
    let consts = [
        f32s(&[2, 2, 4], special_f32()),
        f64s(&[10], special_f64()),
        f64s(&[], vec![-2.5]),
        i64s(&[4], vec![i64::MIN, i64::MAX, 0, -1]),
        bools(&[2, 1, 2], vec![true, false, false, true]),
        f32s(&[0, 3], vec![]),
        f32s(&[3, 0], vec![]),
        f32s(&[1; 33], vec![7.0]),
        f32s(&[], vec![f32::NAN]),
        bools(&[], vec![false]),
        i64s(&[40], (0..40).collect()),
    ];
    for (i, t) in consts.into_iter().enumerate() {
        node(&mut g, "", Op::Constant { value: t }, &[], &[Some(&format!("const{i}"))]);
    }
    for (op, n) in [
        (Op::Identity, "id"),
        (Op::Detach, "det"),
        (Op::Relu, "relu"),
        (Op::Sigmoid, "sig"),
        (Op::Tanh, "th"),
    ] {
        node(&mut g, "", op, &[Some(y)], &[Some(n)]);
    }
    for (op, n) in [(Op::Abs, "abs"), (Op::Sign, "sign"), (Op::Floor, "floor"), (Op::Clip, "clip")]
    {
        node(&mut g, "", op, &[Some(y)], &[Some(n)]);
    }
    let lo = g.add_initializer("lo", f32s(&[], vec![-0.5])).unwrap();
    node(&mut g, "", Op::Clip, &[Some(y), Some(lo), Some(lo)], &[Some("clip_both")]);
    node(&mut g, "", Op::Clip, &[Some(y), None, Some(lo)], &[Some("clip_hi")]);
    for (op, n) in [
        (Op::Max, "max"),
        (Op::Min, "min"),
        (Op::GreaterOrEqual, "ge"),
        (Op::LessOrEqual, "le"),
        (Op::Equal, "eq"),
    ] {
        node(&mut g, "", op, &[Some(y), Some(a)], &[Some(n)]);
    }
    let ge = g.find("ge").unwrap();
    node(&mut g, "", Op::Not, &[Some(ge)], &[Some("not")]);
    let spec = SliceSpec {
        starts: vec![-2, 0],
        ends: vec![i64::MAX, 3],
        axes: vec![1, -1],
        steps: vec![1, 2],
    };
    node(&mut g, "", Op::Slice(spec), &[Some(x)], &[Some("slice")]);
    for (i, m) in Method::ALL.into_iter().enumerate() {
        let op = Op::Spike { surrogate: Surrogate::new(m, 0.25 + i as f32).unwrap() };
        node(&mut g, &format!("spike {i}"), op, &[Some(y)], &[Some(&format!("spike_{i}"))]);
    }
    // Unicode and punctuation in names.
    let v0 = g.add_initializer("unicode é 🚀", f32s(&[2, 3], noise(6, 1))).unwrap();
    let p1 = iaf(vec![0.5, 0.6, 0.7], vec![-0.1], Method::Triangle, 0.75, Order::IntegrateThenFire);
    node(&mut g, "", Op::Iaf(p1), &[Some(x), Some(v0)], &[Some("z"), None]);
    node(&mut g, "", Op::Iaf(IafParams::default()), &[Some(x)], &[Some("z_only")]);
    node(&mut g, "", Op::Iaf(IafParams::default()), &[Some(x), None], &[None, Some("vt_only")]);
    let w = g.add_initializer("w", f32s(&[4, 3], noise(12, 2))).unwrap();
    let r = g.add_initializer("r", f32s(&[4, 4], noise(16, 3))).unwrap();
    let z0 = g.add_initializer("z0", f32s(&[2, 4], vec![0.0; 8])).unwrap();
    let p2 = iaf(vec![1.0], vec![0.0], Method::Circ, 1.5, Order::FireThenIntegrate);
    node(
        &mut g,
        "rec",
        Op::IafRecurrent(p2.clone()),
        &[Some(x), Some(w), Some(r), None, Some(z0)],
        &[Some("rz"), Some("rv"), Some("rzt")],
    );
    node(
        &mut g,
        "",
        Op::IafRecurrent(p2),
        &[Some(x), Some(w), Some(r)],
        &[None, None, Some("rzt2")],
    );
    let p3 = iaf(
        vec![0.2, 0.3, 0.4],
        vec![0.0, 0.1, -0.2],
        Method::HeaviErfc,
        1.25,
        Order::FireThenIntegrate,
    );
    node(
        &mut g,
        "",
        Op::IafFeedForwardStep(p3.clone()),
        &[Some(a), Some(a)],
        &[Some("fz"), Some("fv")],
    );
    // The leaky cell: a current (U in and out), per-neuron leak, V_T before the reset, and a
    // leaky integrator.
    let leak = snnc_ir::Leak {
        alpha: vec![0.5, 0.25, 0.125],
        beta: vec![0.9],
        gamma: vec![0.1, 0.2, 0.3],
        v_leak: vec![-0.5],
    };
    let p5 = IafParams { leak: leak.clone(), ..p3.clone() };
    node(
        &mut g,
        "lif_step",
        Op::IafFeedForwardStep(p5),
        &[Some(a), Some(a), Some(a)],
        &[Some("lz"), Some("lv"), Some("lu")],
    );
    let p6 = IafParams {
        leak: snnc_ir::Leak { alpha: vec![0.0], ..leak },
        order: Order::IntegrateThenFire,
        v_out: snnc_ir::VOut::BeforeReset,
        ..p3.clone()
    };
    node(&mut g, "lif_seq", Op::Iaf(p6.clone()), &[Some(x)], &[Some("lsz"), Some("lsv")]);
    // snnTorch's subtract reset after the decay: a per-neuron reset amount (v_th/β).
    let sub = snnc_ir::Family { reset: snnc_ir::Reset::Subtract, ..p6.family };
    let p8 = IafParams { family: sub, reset_amount: Some(vec![1.25, 1.5, 1.75]), ..p6 };
    node(&mut g, "lif_amount", Op::Iaf(p8), &[Some(x)], &[Some("laz"), Some("lav")]);
    let p7 = IafParams { family: snnc_ir::Family::LI, ..p3 };
    node(&mut g, "li", Op::Iaf(p7), &[Some(x)], &[Some("liv"), None]);
    let zs = g.add_input("zs", f(&[2, 4])).unwrap();
    let vs = g.add_input("vs", f(&[2, 4])).unwrap();
    let p4 = iaf(vec![0.8], vec![-0.1], Method::Super, 100.0, Order::IntegrateThenFire);
    node(
        &mut g,
        "",
        Op::IafStep(p4),
        &[Some(a), Some(zs), Some(vs), Some(w), Some(r)],
        &[Some("sz"), Some("sv")],
    );
    // The optimizer's fused ops.
    node(&mut g, "", Op::Linear { trans_b: true }, &[Some(x), Some(w), None], &[Some("lin")]);
    node(&mut g, "", Op::Linear { trans_b: false }, &[Some(x), Some(b), Some(c)], &[Some("lin_n")]);
    node(&mut g, "", Op::SpikeLinear { trans_b: true }, &[Some(x), Some(w)], &[Some("slin")]);
    let rp = ResetParams {
        v_th: vec![0.5, 1.0, 1.5],
        v_reset: vec![0.0],
        surrogate: Surrogate::new(Method::Tanh, 2.0).unwrap(),
        family: Default::default(),
        reset_amount: None,
    };
    node(&mut g, "", Op::SpikeReset(rp.clone()), &[Some(a)], &[Some("srz"), Some("srv")]);
    let sub = snnc_ir::Family { reset: snnc_ir::Reset::Subtract, ..rp.family };
    let rp2 = ResetParams { family: sub, reset_amount: Some(vec![0.75]), ..rp };
    node(&mut g, "", Op::SpikeReset(rp2), &[Some(a)], &[Some("sraz"), Some("srav")]);
    // A node whose outputs nobody binds, and one with no output slots at all.
    node(&mut g, "", Op::Neg, &[Some(a)], &[None]);
    node(&mut g, "dead", Op::Neg, &[Some(a)], &[]);
    // Inputs of every dtype.
    g.add_input("in_f64", TensorType::new(DType::F64, vec![2])).unwrap();
    g.add_input("in_bool", TensorType::new(DType::Bool, vec![])).unwrap();
    g.add_initializer("w_bool", bools(&[3], vec![true, true, false])).unwrap();
    g.add_initializer("w_f64", f64s(&[2, 5], special_f64())).unwrap();
    g.add_initializer("w_big", f32s(&[3, 40], noise(120, 4))).unwrap();
    for n in ["val_12", "z", "rv", "input", "_", "inf"] {
        let id = g.find(n).unwrap();
        g.add_output(id).unwrap();
    }
    g
}
