//! Clean errors: bad inputs and upstream gradients are refused like the interpreter refuses
//! them, runtime failures name the node, and plans altered behind a valid checksum either fail
//! to load or run without panicking.

mod common;

use common::*;
use snnc_cpu::{CpuError, Engine, Wrt};
use snnc_ir::{DType, Graph, Op, Tensor, TensorType};
use snnc_plan::{compile, Plan};

fn fixture_plan(name: &str) -> (Plan, Named, Named) {
    plan_of(name, true)
}

fn plan_of(name: &str, optimized: bool) -> (Plan, Named, Named) {
    let g = import(name);
    let g = if optimized { snnc_opt::optimize(&g, &Default::default()).unwrap().graph } else { g };
    let dir = fixtures().join(name);
    (
        compile(&g, &Default::default()).unwrap(),
        npz(&dir.join("inputs.npz")),
        npz(&dir.join("grad_outputs.npz")),
    )
}

#[test]
fn bad_inputs_are_refused_with_the_interpreters_messages() {
    let (plan, inputs, gos) = fixture_plan("ff_t8");
    let g = import("ff_t8");
    let x = inputs[0].1.clone();
    let cases: Vec<Vec<(String, Tensor)>> = vec![
        vec![],
        vec![("x".into(), x.clone()), ("x".into(), x.clone())],
        vec![("y".into(), x.clone())],
        vec![("x".into(), tensor(&[8, 2, 5], 0.0, 1.0, 1))],
        vec![("x".into(), Tensor::I64(ndarray::ArrayD::zeros(ndarray::IxDyn(x.shape()))))],
    ];
    for c in cases {
        let a = snnc_cpu::run(&plan, &c).unwrap_err().to_string();
        let b = snnc_interp::run(&g, &c).unwrap_err().to_string();
        assert_eq!(a, b);
    }
    let f64_input = vec![("x".into(), Tensor::F64(x.to_f64()))];
    assert!(snnc_cpu::run(&plan, &f64_input).is_ok());
    let bad_go: Vec<Vec<(String, Tensor)>> = vec![
        vec![("nope".into(), gos[0].1.clone())],
        vec![gos[0].clone(), gos[0].clone()],
        vec![(gos[0].0.clone(), tensor(&[1], 0.0, 1.0, 2))],
    ];
    for go in bad_go {
        let a = snnc_cpu::grad(&plan, &inputs, &go, Wrt::All).unwrap_err().to_string();
        let b = snnc_interp::grad(&g, &inputs, &go, &Default::default()).unwrap_err().to_string();
        assert_eq!(a, b);
    }
}

#[test]
fn runtime_failures_name_the_node() {
    let mut g = Graph::new("gather");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![3, 2])).unwrap();
    let i = g.add_input("i", TensorType::new(DType::I64, vec![1])).unwrap();
    let y = g
        .add_node("pick", Op::Gather { axis: 0 }, vec![Some(x), Some(i)], &[Some("y")])
        .unwrap()[0];
    g.add_output(y.unwrap()).unwrap();
    let plan = compile(&g, &Default::default()).unwrap();
    let bad = Tensor::I64(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[1]), 7));
    let inputs = vec![("x".into(), tensor(&[3, 2], 0.0, 1.0, 3)), ("i".into(), bad)];
    let e = snnc_cpu::run(&plan, &inputs).unwrap_err();
    assert!(
        matches!(&e, CpuError::Node { node, op, .. } if node == "pick" && op == "Gather"),
        "{e}"
    );
}

#[test]
fn altered_plans_load_or_fail_but_never_panic_when_run() {
    let slow = if cfg!(debug_assertions) { 10 } else { 1 };
    altered("custom_recurrent_itf", true, 3 * slow);
    altered("ff_t8", true, 3 * slow);
    altered("ff_t8", false, 17 * slow);
}

fn altered(name: &str, optimized: bool, stride: usize) {
    let (plan, inputs, gos) = plan_of(name, optimized);
    let bytes = plan.to_bytes();
    let (mut loaded, mut failed_runs) = (0, 0);
    for i in (24..bytes.len()).step_by(stride) {
        for v in [0x00u8, 0xff, 0x07] {
            let mut b = bytes.clone();
            if b[i] == v {
                continue;
            }
            b[i] = v;
            let crc = crc32fast_hash(&b[24..]);
            b[20..24].copy_from_slice(&crc.to_le_bytes());
            let Ok(p) = Plan::from_bytes(&b, "x.plan".as_ref()) else { continue };
            loaded += 1;
            let r = std::panic::catch_unwind(|| {
                let mut e = Engine::new(&p);
                e.run(&inputs).is_err() || e.grad(&inputs, &gos, Wrt::All).is_err()
            });
            failed_runs +=
                usize::from(r.unwrap_or_else(|_| panic!("byte {i} = {v:#x}: the engine panicked")));
        }
    }
    eprintln!("{name}: {loaded} altered plans loaded, {failed_runs} of them failed cleanly");
}

/// CRC-32 (IEEE), as the plan header stores it.
fn crc32fast_hash(b: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &x in b {
        crc ^= u32::from(x);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
