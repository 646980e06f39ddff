//! The plan file: round trips byte for byte, and every kind of damage is refused with an error
//! naming the file — bad magic, another format version, truncation, a wrong declared length,
//! a flipped bit, and payloads altered behind a recomputed checksum — never a panic.

use std::path::Path;

use snnc_ir::{DType, Graph, IafParams, Op, Tensor, TensorType};
use snnc_plan::{compile, Kernel, Plan, PlanError, FORMAT_VERSION};

/// A small graph using linear, IAF and elementwise kernels.
fn graph() -> Graph {
    let mut g = Graph::new("small");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![4, 2, 3])).unwrap();
    let w = Tensor::F32(ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[5, 3]), |i| {
        (i[0] + 2 * i[1]) as f32 * 0.1
    }));
    let w = g.add_initializer("w", w).unwrap();
    let h = g
        .add_node("lin", Op::Linear { trans_b: true }, vec![Some(x), Some(w)], &[Some("h")])
        .unwrap()[0];
    let z =
        g.add_node("iaf", Op::Iaf(IafParams::default()), vec![h], &[Some("z"), Some("v")]).unwrap();
    let y = g.add_node("neg", Op::Neg, vec![z[1]], &[Some("y")]).unwrap()[0];
    g.add_output(z[0].unwrap()).unwrap();
    g.add_output(y.unwrap()).unwrap();
    g
}

fn plan() -> Plan {
    compile(&graph(), &Default::default()).unwrap()
}

fn with_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&bytes[24..]);
    bytes[20..24].copy_from_slice(&crc.to_le_bytes());
    bytes
}

fn load(bytes: &[u8]) -> Result<Plan, String> {
    Plan::from_bytes(bytes, Path::new("model.plan")).map_err(|e| e.to_string())
}

fn refused(bytes: &[u8], what: &str) -> String {
    let e = load(bytes).err().unwrap_or_else(|| panic!("{what}: accepted"));
    assert!(e.starts_with("model.plan: "), "{what}: error does not name the file: {e}");
    e
}

#[test]
fn round_trip_is_byte_identical() {
    let p = plan();
    // The linear layer on the graph input and its IAF layer are one fused step, so the round
    // trip covers the fused kernel's encoding.
    for prog in [p.infer(), p.train()] {
        assert!(prog.steps.iter().any(|s| matches!(s.kernel, Kernel::LinearIaf(_))));
    }
    let bytes = p.to_bytes();
    let q = load(&bytes).unwrap();
    assert_eq!(q.to_bytes(), bytes);
    assert_eq!(q.summary(), p.summary());
    let dir = std::env::temp_dir().join(format!("snnc-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("p.plan");
    p.save(&path).unwrap();
    assert!(snnc_plan::is_plan_file(&path));
    assert_eq!(Plan::load(&path).unwrap().to_bytes(), bytes);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrong_magic_version_length_and_checksum_are_refused() {
    let bytes = plan().to_bytes();
    let mut b = bytes.clone();
    b[0] = b'X';
    assert!(refused(&b, "magic").contains("not an snnc plan"));
    let mut b = bytes.clone();
    b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let e = refused(&b, "version");
    assert!(e.contains(&format!("version {}", FORMAT_VERSION + 1)), "{e}");
    let mut b = bytes.clone();
    b[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(refused(&b, "length").contains("declares"));
    let mut b = bytes.clone();
    let last = b.len() - 1;
    b[last] ^= 0x10;
    assert!(refused(&b, "bit flip").contains("checksum"));
}

#[test]
fn every_truncation_is_refused() {
    let bytes = plan().to_bytes();
    for n in 0..bytes.len() {
        refused(&bytes[..n], &format!("truncated to {n}"));
    }
    let mut longer = bytes.clone();
    longer.push(0);
    refused(&longer, "one byte too many");
}

#[test]
fn altered_payloads_never_panic() {
    let bytes = plan().to_bytes();
    let mut accepted = 0;
    for i in 24..bytes.len() {
        for v in [0x00u8, 0xff, 0x01, 0x80] {
            let mut b = bytes.clone();
            if b[i] == v {
                continue;
            }
            b[i] = v;
            let b = with_crc(b);
            let r = std::panic::catch_unwind(|| load(&b).is_ok());
            accepted += usize::from(r.expect("loading panicked"));
        }
    }
    assert!(accepted < (bytes.len() - 24) * 4, "every alteration was accepted");
}

#[test]
fn missing_file_names_it() {
    let e = Plan::load(Path::new("/nonexistent/x.plan")).unwrap_err();
    assert!(matches!(e, PlanError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/x.plan"));
    assert!(!snnc_plan::is_plan_file(Path::new("/nonexistent/x.plan")));
}

/// The compile-time choices of plain exports travel in the file: the surrogate and whether
/// their resets are detached.
#[test]
fn the_plan_records_the_reset_grad_beside_the_surrogate() {
    let opts = snnc_plan::CompileOptions {
        surrogate: "atan:2".parse().unwrap(),
        reset_grad: snnc_ir::ResetGrad::Detached,
    };
    let p = compile(&graph(), &opts).unwrap();
    let q = load(&p.to_bytes()).unwrap();
    assert_eq!(q.surrogate(), opts.surrogate);
    assert_eq!(q.reset_grad(), snnc_ir::ResetGrad::Detached);
    assert!(q.summary().contains("reset-grad detached"), "{}", q.summary());
    assert_eq!(plan().reset_grad(), snnc_ir::ResetGrad::Attached);
}
